/**
 * Templates of a definition's `input`: a string that is exactly `${<JMESPath expression>}` is
 * replaced by the expression's value when the step starts (docs/workflow-definitions.md).
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `ref("steps.a.output")` is the template `"${steps.a.output}"`. */
export function ref(expression: string): string {
  return "${" + expression + "}";
}

/**
 * A template reading step `stepId`'s `path` (default `output`):
 * `stepRef("reserve-stock", "output.total")` is `"${steps.\"reserve-stock\".output.total}"`. An id
 * that is not a plain identifier is written as a JMESPath quoted identifier (a JSON string).
 */
export function stepRef(stepId: string, path = "output"): string {
  const id = IDENTIFIER.test(stepId) ? stepId : JSON.stringify(stepId);
  return ref(path === "" ? `steps.${id}` : `steps.${id}.${path}`);
}
