// Server settings: defaults ← config file ← environment ← flags, with specific errors; tokens.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, loadTokens, SERVER_DEFAULTS } from '../server/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'evom-cfg-'));
const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text, { mode: 0o600 }); return p; };

describe('server config', () => {
  it('layers file, environment and flags over the defaults', () => {
    const f = file('a.json', JSON.stringify({ port: 9000, workers: 3, cors_origins: ['http://a.example'], max_batch: 8 }));
    const c = loadServerConfig({ file: f, env: { EVOM_SERVER_PORT: '9100', EVOM_SERVER_CORS_ORIGINS: 'http://b.example, http://c.example' }, flags: { port: 9200 } });
    expect(c).toMatchObject({ port: 9200, workers: 3, max_batch: 8, cors_origins: ['http://b.example', 'http://c.example'] });
    expect(c.default_time_limit_s).toBe(SERVER_DEFAULTS.default_time_limit_s);
  });
  it.each([
    ['unknown setting', JSON.stringify({ prot: 1 }), /unknown setting "prot"/],
    ['wrong type', JSON.stringify({ port: 'eighty' }), /"port" must be a number/],
    ['not JSON', '{port: 1', /not valid JSON/],
    ['not an object', '[1]', /must be a JSON object/],
    ['inconsistent limits', JSON.stringify({ default_time_limit_s: 50, max_time_limit_s: 20 }), /exceeds max_time_limit_s/],
  ])('rejects a config file with %s', (_n, text, msg) => {
    expect(() => loadServerConfig({ file: file(`${_n}.json`, text), env: {} })).toThrow(msg);
  });
  it('names a missing config file', () => {
    expect(() => loadServerConfig({ file: join(dir, 'nope.json'), env: {} })).toThrow(/nope\.json: file not found/);
  });
  it('reads tokens from the file (comments, blank lines) and the environment', () => {
    const t = file('tokens', '# classroom\nstudent-token-aaaaaaaaaaaa\n\n  teacher-token-bbbbbbbbbbbb  \n');
    const c = loadServerConfig({ env: { EVOM_SERVER_TOKENS: 'env-token-cccccccccccccccc' }, flags: { tokens_file: t } });
    expect(loadTokens(c)).toEqual(['env-token-cccccccccccccccc', 'student-token-aaaaaaaaaaaa', 'teacher-token-bbbbbbbbbbbb']);
  });
  it('refuses short tokens, a missing token file, and no tokens at all', () => {
    expect(() => loadTokens(loadServerConfig({ env: { EVOM_SERVER_TOKENS: 'short' } }))).toThrow(/at least 16 characters/);
    expect(() => loadTokens(loadServerConfig({ env: {}, flags: { tokens_file: join(dir, 'missing') } }))).toThrow(/tokens file .*missing: not found/);
    expect(() => loadTokens(loadServerConfig({ env: {} }))).toThrow(/no tokens: give --tokens FILE/);
    expect(loadTokens(loadServerConfig({ file: file('anon.json', '{"allow_anonymous": true}'), env: {} }))).toEqual([]);
  });
});
