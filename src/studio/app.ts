// The Studio's shared state: the persisted form, the prepared problems, the GPU report, one engine
// job at a time, and the error banner. Panels receive it as `s`.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { GpuReport, ModelRef, RemoteServers } from '../host/engine-host.ts';
import type { RunModel } from '../host/run-store.ts';
import type { TrainItem } from '../rl/trainer.ts';
import type { StudioForm } from './state.ts';

export interface Dataset {
  description: string;
  train: TrainItem[];
  eval: TrainItem[];
  /** items dropped because they have no answer to reward against */
  dropped: number;
}

export interface Studio {
  form: StudioForm;
  update: (patch: Partial<StudioForm>) => void;
  dataset: Dataset | null;
  setDataset: (d: Dataset | null) => void;
  localFiles: File[];
  setLocalFiles: (f: File[]) => void;
  gpu: GpuReport | null;
  /** label of the engine job in progress */
  busy: string | null;
  /** run an engine job: one at a time, errors go to the banner */
  job: <T>(label: string, fn: () => Promise<T>) => Promise<T | undefined>;
  error: string | null;
  setError: (e: string | null) => void;
  modelChoice: () => ModelRef;
  /** the model a saved run used (local files must be picked again after a reload) */
  modelChoiceFor: (m: RunModel) => ModelRef;
  remote: () => RemoteServers | undefined;
  /** bumps when runs are saved or deleted (lists reload) */
  runsVersion: number;
  runsChanged: () => void;
  /** show a tab; `then` runs once it is on screen (focus or press one of its controls) */
  go: (tab: TabId, then?: () => void) => void;
  /** a one-line hint above the panel, until the user changes tabs (null clears it) */
  hint: (text: string | null) => void;
}

export const TABS = [
  ['start', 'Start'], ['playground', 'Playground'], ['model', 'Model'], ['problems', 'Problems'], ['targets', 'Targets'], ['evaluate', 'Evaluate'],
  ['train', 'Train'], ['transfer', 'Solver transfer'], ['export', 'Export'], ['classroom', 'Classroom'],
] as const;
export type TabId = typeof TABS[number][0];
export const tabLabel = (id: TabId): string => TABS.find(([x]) => x === id)![1];

export const StudioContext = createContext<Studio | null>(null);
export const useStudio = (): Studio => useContext(StudioContext)!;

/** The app's base URL (the built-in model and benchmarks live under it). */
export const appBase = (): string => document.baseURI;

/** What to do without WebGPU, for the browser the user has. */
export function noWebGpuAdvice(ua = navigator.userAgent): string {
  if (/Firefox\//.test(ua)) return 'Firefox: WebGPU is on by default from version 141 on Windows; on macOS and Linux enable dom.webgpu.enabled in about:config (Nightly), or use Chrome.';
  if (/Edg\//.test(ua)) return 'Edge: update to version 113 or later; check edge://gpu that WebGPU is "Hardware accelerated".';
  if (/Chrome\//.test(ua)) return 'Chrome: update to version 113 or later (Windows, macOS, ChromeOS; Android 121+). On Linux start it with --enable-unsafe-webgpu --enable-features=Vulkan, and check chrome://gpu.';
  if (/Safari\//.test(ua)) return 'Safari: WebGPU is on from Safari 26 (macOS Tahoe, iOS 26); in older versions enable it under Develop → Feature Flags.';
  return 'Use a browser with WebGPU: Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows.';
}

/** Kept here for the panels that import it from app.ts (the Studio's formatting is format.ts). */
export { pct } from './format.ts';

/** Save a file through the browser's download (Blob URL). */
export function download(name: string, data: BlobPart, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url; a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
