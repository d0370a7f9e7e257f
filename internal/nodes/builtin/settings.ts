// Reading a built-in node's string config (as the plan holds it) into typed settings; it never invents a value the caller did not default.

export type Setting<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A finite number in [min, max], or `fallback` when the key is absent. */
export function numberSetting(config: Readonly<Record<string, string>> | undefined, key: string, fallback: number, min: number, max: number): Setting<number> {
  const raw = config?.[key];
  if (raw === undefined) return { ok: true, value: fallback };
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    return { ok: false, problem: `config.${key}: ${JSON.stringify(raw)} is not a number in [${min}, ${max}]` };
  }
  return { ok: true, value };
}

/** One of `choices`, or `fallback` when the key is absent. */
export function choiceSetting<T extends string>(config: Readonly<Record<string, string>> | undefined, key: string, fallback: T, choices: readonly T[]): Setting<T> {
  const raw = config?.[key];
  if (raw === undefined) return { ok: true, value: fallback };
  if (!(choices as readonly string[]).includes(raw)) {
    return { ok: false, problem: `config.${key}: ${JSON.stringify(raw)} is not one of ${choices.join(', ')}` };
  }
  return { ok: true, value: raw as T };
}

/** The setting's value; a bad value is the node's own failure, so it throws inside the node call. */
export function required<T>(setting: Setting<T>): T {
  if (!setting.ok) throw new Error(setting.problem);
  return setting.value;
}

/** `config.throw`, when set, makes a mock node fail with that message: how tests reach the node_failure path. */
export function throwIfConfigured(config: Readonly<Record<string, string>>): void {
  const message = config['throw'];
  if (message !== undefined) throw new Error(message);
}
