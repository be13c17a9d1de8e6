/**
 * The messages of the `nbtrack` comm (docs/jupyter-comm.md), checked as they arrive, and how
 * a run's state reads in the status bar and the panel. Pure: no JupyterLab imports.
 */

export const TARGET = 'nbtrack';

/** One run as the kernel describes it. */
export interface IRunInfo {
  id: string;
  name: string;
  project: string;
  state: string;
  step: number;
  url: string | null;
  upload: string;
  dir: string | null;
  current: boolean;
}

/** A local run directory that the server does not hold completely. */
export interface IPendingRun {
  id: string;
  name: string;
  project: string;
  state: string;
  dir: string;
}

/** The kernel's sync job: what it is doing, or what it did last. */
export interface ISyncInfo {
  state: 'idle' | 'syncing' | 'done' | 'error';
  text: string;
}

/** `{"type": "state", ...}`: everything the status bar and the panel show. */
export interface IKernelState {
  current: string | null;
  runs: IRunInfo[];
  pending: IPendingRun[];
  sync: ISyncInfo;
}

/** A message from the kernel, once checked. */
export type KernelMessage =
  | { type: 'hello'; protocol: number }
  | { type: 'ack'; path: string | null }
  | { type: 'state'; state: IKernelState }
  | { type: 'result'; request: string; ok: boolean; message: string }
  | { type: 'error'; message: string };

/** A message to the kernel. */
export type FrontendMessage =
  | { type: 'notebook'; path: string; root: string }
  | { type: 'subscribe' }
  | { type: 'state' }
  | { type: 'sync' }
  | { type: 'finish'; run: string | null };

type Json = { [key: string]: unknown };

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function strOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function parseRun(value: unknown): IRunInfo | null {
  if (!isObject(value) || typeof value.id !== 'string') {
    return null;
  }
  return {
    id: value.id,
    name: str(value.name, value.id),
    project: str(value.project),
    state: str(value.state, 'unknown'),
    step: typeof value.step === 'number' ? value.step : 0,
    url: strOrNull(value.url),
    upload: str(value.upload, 'offline'),
    dir: strOrNull(value.dir),
    current: value.current === true
  };
}

function parsePending(value: unknown): IPendingRun | null {
  if (!isObject(value) || typeof value.id !== 'string' || typeof value.dir !== 'string') {
    return null;
  }
  return {
    id: value.id,
    name: str(value.name, value.id),
    project: str(value.project),
    state: str(value.state, 'unknown'),
    dir: value.dir
  };
}

const SYNC_STATES = ['idle', 'syncing', 'done', 'error'];

function parseSync(value: unknown): ISyncInfo {
  if (!isObject(value) || !SYNC_STATES.includes(str(value.state))) {
    return { state: 'idle', text: '' };
  }
  return { state: value.state as ISyncInfo['state'], text: str(value.text) };
}

function present<T>(items: (T | null)[]): T[] {
  return items.filter((item): item is T => item !== null);
}

/** The state carried by a `state` message (unknown fields ignored, bad entries dropped). */
export function parseState(data: Json): IKernelState {
  const runs = Array.isArray(data.runs) ? present(data.runs.map(parseRun)) : [];
  const pending = Array.isArray(data.pending) ? present(data.pending.map(parsePending)) : [];
  return { current: strOrNull(data.current), runs, pending, sync: parseSync(data.sync) };
}

/** Check a comm message's data; `null` for anything this extension does not understand. */
export function parseMessage(data: unknown): KernelMessage | null {
  if (!isObject(data)) {
    return null;
  }
  switch (data.type) {
    case 'hello':
      return { type: 'hello', protocol: typeof data.protocol === 'number' ? data.protocol : 0 };
    case 'ack':
      return { type: 'ack', path: strOrNull(data.path) };
    case 'state':
      return { type: 'state', state: parseState(data) };
    case 'result':
      return {
        type: 'result',
        request: str(data.request),
        ok: data.ok === true,
        message: str(data.message)
      };
    case 'error':
      return { type: 'error', message: str(data.message, 'unknown error') };
    default:
      return null;
  }
}

/** The run the status bar shows: the kernel's current run, else the last one it started. */
export function shownRun(state: IKernelState | null): IRunInfo | null {
  if (state === null || state.runs.length === 0) {
    return null;
  }
  return state.runs.find(run => run.id === state.current) ?? state.runs[state.runs.length - 1];
}

/** The colour class of a run state: running, ok, bad or lost. */
export function stateTone(state: string): 'running' | 'ok' | 'bad' | 'lost' {
  switch (state) {
    case 'running':
      return 'running';
    case 'finished':
      return 'ok';
    case 'failed':
      return 'bad';
    default:
      return 'lost';
  }
}

/** `nbtrack: bright-river-3 · running · step 12`. */
export function statusText(run: IRunInfo): string {
  const step = run.step > 0 ? ` · step ${run.step}` : '';
  return `nbtrack: ${run.name} · ${run.state}${step}`;
}

/** The tooltip: project, id, upload state and where a click goes. */
export function statusTitle(run: IRunInfo): string {
  const where = run.url ? `Click to open ${run.url}` : 'Offline run: no run page until it is synced';
  return `${run.project}/${run.id} (upload: ${run.upload})\n${where}`;
}

/** The notebook's path as the kernel needs it: relative to the server root, with that root. */
export function notebookMessage(path: string, root: string): FrontendMessage {
  return { type: 'notebook', path: path.replace(/^\/+/, ''), root };
}
