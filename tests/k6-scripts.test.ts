import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const K6_DIR = path.join(__dirname, "..", "k6");
const ENTRY_SCRIPTS = ["load.ts", "smoke.ts", "stress.ts"];
const K6_FILES = [...ENTRY_SCRIPTS, "api.ts"];
const LIB_FILES = readdirSync(path.join(K6_DIR, "lib")).filter((file) => file.endsWith(".ts"));

interface ImportInfo {
  specifier: string;
  typeOnly: boolean;
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

function imports(source: ts.SourceFile): ImportInfo[] {
  const found: ImportInfo[] = [];
  for (const statement of source.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier) {
      const specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
      const typeOnly = ts.isImportDeclaration(statement)
        ? statement.importClause?.isTypeOnly === true
        : statement.isTypeOnly;
      found.push({ specifier, typeOnly });
    }
  }
  return found;
}

function exportedNames(source: ts.SourceFile): string[] {
  const names: string[] = [];
  for (const statement of source.statements) {
    const modifiers = ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : [];
    if (!modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) names.push("default");
    else if (ts.isFunctionDeclaration(statement) && statement.name) names.push(statement.name.text);
    else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) names.push(declaration.name.getText(source));
    }
  }
  return names;
}

describe("k6 scripts: what k6 can load", () => {
  for (const file of [...K6_FILES, ...LIB_FILES.map((lib) => `lib/${lib}`)]) {
    it(`${file}: imports only k6 modules and local .ts files that exist (k6 resolves paths literally)`, () => {
      const full = path.join(K6_DIR, file);
      for (const { specifier } of imports(parse(full))) {
        if (specifier === "k6" || specifier.startsWith("k6/")) continue;
        assert.match(specifier, /^\.\.?\/.+\.ts$/, `${file} imports "${specifier}": only relative .ts paths or k6 modules`);
        assert.ok(existsSync(path.resolve(path.dirname(full), specifier)), `${file} imports missing ${specifier}`);
      }
    });
  }

  for (const lib of LIB_FILES) {
    it(`lib/${lib}: imports other modules for types only, so Node (mocha) loads it too`, () => {
      for (const { specifier, typeOnly } of imports(parse(path.join(K6_DIR, "lib", lib)))) {
        assert.ok(typeOnly, `lib/${lib} imports "${specifier}" at run time`);
      }
    });
  }

  for (const script of ENTRY_SCRIPTS) {
    it(`${script}: exports options, setup (the target check), a default function and handleSummary`, () => {
      const names = exportedNames(parse(path.join(K6_DIR, script)));
      for (const name of ["options", "setup", "default", "handleSummary"]) assert.ok(names.includes(name), `${script} lacks ${name}`);
    });
  }

  it("k6/tsconfig.json type-checks every script and lib module against @types/k6", () => {
    const config = ts.readConfigFile(path.join(K6_DIR, "tsconfig.json"), ts.sys.readFile);
    assert.equal(config.error, undefined);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, K6_DIR);
    const files = parsed.fileNames.map((file) => path.relative(K6_DIR, file)).sort();
    assert.deepEqual(files, [...K6_FILES, ...LIB_FILES.map((lib) => `lib/${lib}`)].sort());
    assert.deepEqual(parsed.options.types, ["k6"]);
    assert.equal(parsed.options.allowImportingTsExtensions, true);
    assert.equal(parsed.options.erasableSyntaxOnly, true);
  });
});

describe("k6 scripts: documentation", () => {
  it("docs/load-testing.md documents every -e variable the scripts read", () => {
    const page = readFileSync(path.join(K6_DIR, "..", "docs", "load-testing.md"), "utf8");
    const start = page.search(/^# Load testing with k6$/m);
    assert.ok(start >= 0, "docs/load-testing.md has no top heading # Load testing with k6");
    const end = page.indexOf("\n# ", start + 1);
    const section = page.slice(start, end === -1 ? undefined : end);
    const variables = new Set<string>();
    for (const lib of LIB_FILES) {
      const source = readFileSync(path.join(K6_DIR, "lib", lib), "utf8");
      for (const match of source.matchAll(/env\.(?:number|duration|string|url|raw)\(\s*"([A-Z0-9_]+)"/g)) variables.add(match[1]);
    }
    assert.ok(variables.size >= 20, `found only ${[...variables].join(", ")}`);
    for (const name of variables) assert.ok(section.includes(`\`${name}\``), `docs/load-testing.md does not document -e ${name}`);
  });
});
