/**
 * Name tables. Keras spells names in snake_case ("categorical_crossentropy"),
 * TensorFlow.js in camelCase ("categoricalCrossentropy"); purenn takes both by
 * comparing names with underscores removed and case folded. Every kind of
 * thing (activations, losses, optimizers, metrics) has one table; an unknown
 * name gets an error that lists the known ones.
 */
import { describe } from "./matrix.js";

export function lookupName<T>(table: Record<string, T>, name: unknown, kind: string): T {
  if (typeof name === "string") {
    const key = canonicalName(name);
    for (const known of Object.keys(table)) {
      if (canonicalName(known) === key) return table[known];
    }
  }
  const kinds = kind.endsWith("s") ? `${kind}es` : `${kind}s`;
  throw new Error(`unknown ${kind} ${describe(name)}; known ${kinds}: ${Object.keys(table).join(", ")}`);
}

function canonicalName(name: string): string {
  return name.replace(/_/g, "").toLowerCase();
}
