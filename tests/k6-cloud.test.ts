import assert from "node:assert/strict";
import { DEFAULT_LOAD_ZONES, readCloudOptions } from "../k6/lib/cloud";
import { assertEnvError, env } from "./k6-helpers";

describe("k6 cloud options", () => {
  it("name the test after the script and split the load over two zones near eu-west-1", () => {
    assert.equal(DEFAULT_LOAD_ZONES, "amazon:ie:dublin=50,amazon:de:frankfurt=50");
    assert.deepEqual(readCloudOptions(env(), "load"), {
      name: "ecs-loadlab load",
      distribution: {
        "amazon:ie:dublin": { loadZone: "amazon:ie:dublin", percent: 50 },
        "amazon:de:frankfurt": { loadZone: "amazon:de:frankfurt", percent: 50 },
      },
    });
  });

  it("take the project id, test name and load zones from -e", () => {
    const options = readCloudOptions(
      env({ K6_CLOUD_PROJECT_ID: "123456", CLOUD_TEST_NAME: "dev stress", LOAD_ZONES: " amazon:us:ashburn = 100 " }),
      "stress",
    );
    assert.deepEqual(options, {
      name: "dev stress",
      projectID: 123456,
      distribution: { "amazon:us:ashburn": { loadZone: "amazon:us:ashburn", percent: 100 } },
    });
  });

  it("reject a project id that is not a positive whole number", () => {
    for (const value of ["abc", "0", "-4", "1.5"]) {
      assertEnvError(() => readCloudOptions(env({ K6_CLOUD_PROJECT_ID: value }), "load"), ["K6_CLOUD_PROJECT_ID"], /whole number >= 1/);
    }
  });

  it("reject load zones that do not add up to 100%, repeat, or are malformed", () => {
    const zones = (LOAD_ZONES: string) => () => readCloudOptions(env({ LOAD_ZONES }), "load");
    assertEnvError(zones("amazon:ie:dublin=50,amazon:de:frankfurt=40"), ["LOAD_ZONES"], /add up to 90/);
    assertEnvError(zones("amazon:ie:dublin=50,amazon:ie:dublin=50"), ["LOAD_ZONES"], /appears twice/);
    assertEnvError(zones("amazon:ie:dublin=0,amazon:de:frankfurt=100"), ["LOAD_ZONES"], /has 0%/);
    assertEnvError(zones("dublin=100"), ["LOAD_ZONES"], /invalid at "dublin=100"/);
    assertEnvError(zones("amazon:ie:dublin"), ["LOAD_ZONES"], /zone=percent/);
    assertEnvError(zones("amazon:ie:dublin=50.5,amazon:de:frankfurt=49.5"), ["LOAD_ZONES"], /whole percentages/);
  });
});
