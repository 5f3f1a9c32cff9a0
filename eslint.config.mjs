import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/** What no k6 script may import: k6 runs them offline, in its own runtime. */
const k6ScriptImportBans = [
  { regex: "^https?:", message: "No remote modules (jslib URLs): the k6 scripts must run offline." },
  { regex: "^node:", message: "k6 scripts run in k6, not Node: no Node built-ins." },
];

export default tseslint.config(
  { ignores: ["**/node_modules/", "**/dist/", "k6/results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always"],
      "no-console": "off",
    },
  },
  // k6 scripts run in k6's JavaScript runtime, not Node, and must run offline.
  {
    files: ["k6/**/*.ts"],
    ignores: ["k6/calibrate.ts"],
    languageOptions: { globals: { __ENV: "readonly", __VU: "readonly", __ITER: "readonly", open: "readonly" } },
    rules: {
      "no-restricted-imports": ["error", { patterns: k6ScriptImportBans }],
    },
  },
  // k6/lib is loaded by k6 and by mocha (Node): no runtime imports of k6 modules there.
  {
    files: ["k6/lib/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...k6ScriptImportBans,
            {
              regex: "^k6(/|$)",
              allowTypeImports: true,
              message: "k6/lib must also load in Node for mocha: k6 runtime modules belong in k6/api.ts or the scripts.",
            },
          ],
        },
      ],
    },
  },
);
