// purenn is an ES module only. This is the file `require("purenn")` finds (the
// "require" condition of package.json's "exports"): it says so and how to load it.
throw Object.assign(
  new Error('purenn is an ES module: use import { … } from "purenn" or await import("purenn")'),
  { code: "ERR_REQUIRE_ESM" },
);
