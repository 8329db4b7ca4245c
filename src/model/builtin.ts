// The built-in policies, shipped in public/models/ID: evom-tiny writes CPLEX LP (the main demo);
// evom-tiny-multi writes several solver languages (solver-transfer trials). Both are warm-started by
// scripts in test/reference/ and hold the same five files.

export const BUILTIN_POLICIES = ['evom-tiny', 'evom-tiny-multi'] as const;
export type BuiltinPolicy = (typeof BUILTIN_POLICIES)[number];

/** A built-in policy's files, so nothing else is requested. */
export const BUILTIN_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];

export const isBuiltinPolicy = (id: unknown): id is BuiltinPolicy => (BUILTIN_POLICIES as readonly unknown[]).includes(id);
