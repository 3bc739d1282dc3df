import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ref, stepRef } from "../../src/index.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STEP_ID_CHARS = "abcXYZ019._-".split("");
const stepId = fc
  .tuple(fc.constantFrom(..."aZ0".split("")), fc.array(fc.constantFrom(...STEP_ID_CHARS)))
  .map(([first, rest]) => first + rest.join(""));

/** The id part of `${steps.<id>.output}`. */
function idPart(template: string): string {
  assert.ok(template.startsWith("${steps.") && template.endsWith(".output}"), template);
  return template.slice("${steps.".length, -".output}".length);
}

describe("ref and stepRef", () => {
  it("ref wraps an expression as a whole-string template", () => {
    assert.equal(ref("steps.a.output"), "${steps.a.output}");
  });

  it("stepRef writes plain identifiers as they are", () => {
    assert.equal(stepRef("validate", "output.total"), "${steps.validate.output.total}");
    assert.equal(stepRef("a"), "${steps.a.output}");
  });

  it("stepRef quotes an id that is not an identifier (a JMESPath quoted identifier)", () => {
    assert.equal(stepRef("reserve-stock", "output.total"), '${steps."reserve-stock".output.total}');
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1 }), (id) => {
        const part = idPart(stepRef(id));
        if (IDENTIFIER.test(id)) assert.equal(part, id);
        else assert.equal(JSON.parse(part), id);
      }),
    );
  });

  it("stepRef quotes valid step ids without escapes when they need quoting", () => {
    fc.assert(
      fc.property(stepId, (id) => {
        const part = idPart(stepRef(id));
        assert.equal(part, IDENTIFIER.test(id) ? id : `"${id}"`);
      }),
    );
  });

  it("stepRef with an empty path reads the step object", () => {
    assert.equal(stepRef("a-b", ""), '${steps."a-b"}');
  });
});
