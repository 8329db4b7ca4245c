// Every WGSL kernel against its TypeScript CPU reference, in headless Chromium (WebGPU on SwiftShader).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callInPage, gpuPage } from './browser.ts';

let env: Awaited<ReturnType<typeof gpuPage>>;
beforeAll(async () => { env = await gpuPage(); }, 120_000);
afterAll(() => env?.close());

describe('WGSL kernels vs CPU references', () => {
  it('every op agrees to 1e-5 of its scale (f32)', async () => {
    const res = await callInPage<{ adapter: string; subgroups: boolean; checks: { op: string; err: number; scale: number }[] }>(env.page, '/test/gpu/kernel-checks.ts', 'checkKernels');
    console.log(res.adapter, res.checks.map((c) => `${c.op}: ${c.err.toExponential(2)} (scale ${c.scale.toFixed(2)})`).join('; '));
    expect(res.checks.length).toBeGreaterThanOrEqual(30);
    // SwiftShader has subgroups: both reduction paths must have run
    expect(res.subgroups).toBe(true);
    expect(res.checks.map((c) => c.op)).toContain('rmsnorm (subgroups)');
    for (const c of res.checks) expect(c.err, c.op).toBeLessThanOrEqual(1e-5 * Math.max(1, c.scale));
    // every weight storage went through every forward kernel that reads it
    for (const dt of ['f16', 'q8', 'q4']) for (const k of ['skinny', 'tiled64', 'cols']) expect(res.checks.some((c) => c.op.startsWith(`matmul ${dt} ${k} `)), `${dt} ${k}`).toBe(true);
  }, 300_000);
});

describe('WGSL backward kernels vs CPU references', () => {
  it('every backward op agrees to 1e-5 of its scale (f32)', async () => {
    const res = await callInPage<{ checks: { op: string; err: number; scale: number }[] }>(env.page, '/test/gpu/kernel-checks.ts', 'checkBackwardKernels');
    console.log(res.checks.map((c) => `${c.op}: ${c.err.toExponential(2)} (scale ${c.scale.toFixed(2)})`).join('; '));
    expect(res.checks.length).toBeGreaterThanOrEqual(20);
    for (const c of res.checks) expect(c.err, c.op).toBeLessThanOrEqual(1e-5 * Math.max(1, c.scale));
    for (const dt of ['q8', 'q4']) for (const k of ['tiled', 'simple']) expect(res.checks.some((c) => c.op.startsWith(`gemm ${k} dX ${dt} `)), `${dt} ${k}`).toBe(true);
  }, 300_000);
});
