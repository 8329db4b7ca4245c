// `evom serve`: the sandbox server (server/).

import { intFlag, parse, type Io } from './args.ts';

export async function cmdServe(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { host: { type: 'string' }, port: { type: 'string' }, tokens: { type: 'string' }, config: { type: 'string' }, workers: { type: 'string' }, classes: { type: 'string' }, 'class-data': { type: 'string' } });
  const { serve } = await import('../../server/main.ts');
  await serve({
    file: values.config,
    flags: {
      host: values.host, tokens_file: values.tokens,
      ...(values.classes !== undefined ? { classes_file: values.classes } : {}), ...(values['class-data'] !== undefined ? { class_data_dir: values['class-data'] } : {}),
      port: values.port === undefined ? undefined : intFlag(values.port, '--port', 8787, 0),
      workers: values.workers === undefined ? undefined : intFlag(values.workers, '--workers', 1, 1),
    },
  }, io);
  return 0;
}
