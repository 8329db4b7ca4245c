// scripts/setup.sh, the README's first step on a fresh machine: without apt-get it installs nothing
// and names exactly what to install; with everything installed it changes nothing.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'setup.sh');
const which = (b: string) => spawnSync('bash', ['-c', `command -v ${b}`], { encoding: 'utf8' }).stdout.trim();

describe('scripts/setup.sh', () => {
  it('on a machine without apt-get, names every package to install and fails', () => {
    const bin = mkdtempSync(join(tmpdir(), 'evom-setup-'));
    for (const b of ['node', 'id', 'grep', 'cat', 'dirname']) symlinkSync(which(b), join(bin, b));
    const r = spawnSync('/bin/bash', [SCRIPT, '--system'], { encoding: 'utf8', env: { PATH: bin } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no apt-get/);
    for (const p of ['chromium', 'libvulkan1', 'glpk-utils', 'bubblewrap', 'python3-pulp', 'coinor-cbc', 'python3-swiglpk', 'python3-cvxopt']) expect(r.stderr).toContain(p);
  });

  it('with the packages installed (as on this machine after .ci/run), installs nothing', () => {
    const r = spawnSync('bash', [SCRIPT, '--system'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/installing/);
    expect(r.stderr).toMatch(/setup: ready/);
  });
});
