/**
 * One notebook's link to nbtrack in its kernel, over the `nbtrack` comm.
 *
 * The kernel opens the comm when nbtrack loads in it (`{"type": "hello"}`); after a page reload
 * the link finds that comm again with a `comm_info_request`. Once linked it announces the
 * notebook's path (again on every rename) and subscribes to the kernel's run state. A kernel
 * without nbtrack never opens the comm, so the link stays quiet and `state` stays null.
 */
import { PageConfig } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage as KM } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import {
  FrontendMessage,
  IKernelState,
  KernelMessage,
  TARGET,
  notebookMessage,
  parseMessage
} from './protocol';

export class KernelLink {
  constructor(readonly panel: NotebookPanel) {
    const session = panel.sessionContext;
    session.kernelChanged.connect(this._onKernelChanged, this);
    session.statusChanged.connect(this._onStatus, this);
    panel.context.pathChanged.connect(this._announce, this);
    this._watch(session.session?.kernel ?? null);
  }

  /** The kernel's runs and sync state; null while nbtrack is not linked. */
  get state(): IKernelState | null {
    return this._state;
  }

  /** The notebook path the kernel acknowledged last. */
  get acknowledged(): string | null {
    return this._acknowledged;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Answers to `sync` and `finish` requests (`result`, or `error` when the kernel failed). */
  get results(): ISignal<this, KernelMessage> {
    return this._results;
  }

  /** Send a request; false when nbtrack is not linked in this kernel. */
  send(message: FrontendMessage): boolean {
    if (this._comm === null || this._comm.isDisposed) {
      return false;
    }
    if (message.type === 'sync' || message.type === 'finish') {
      this._asked += 1;
    }
    this._comm.send(message as unknown as KM.ICommMsgMsg['content']['data']);
    return true;
  }

  dispose(): void {
    this._watch(null);
    Signal.clearData(this);
  }

  private _onKernelChanged(): void {
    this._watch(this.panel.sessionContext.session?.kernel ?? null);
  }

  private _onStatus(_: unknown, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this._unlink();
    }
  }

  private _watch(kernel: Kernel.IKernelConnection | null): void {
    if (this._kernel !== null && !this._kernel.isDisposed) {
      this._kernel.removeCommTarget(TARGET, this._onOpen);
    }
    this._unlink();
    this._kernel = kernel;
    if (kernel !== null) {
      kernel.registerCommTarget(TARGET, this._onOpen);
      void this._findOpenComm(kernel);
    }
  }

  private readonly _onOpen = (comm: Kernel.IComm, msg: KM.ICommOpenMsg): void => {
    this._link(comm);
    this._receive(msg.content.data);
  };

  /** After a reload the kernel's comm is already open: look it up and use it. */
  private async _findOpenComm(kernel: Kernel.IKernelConnection): Promise<void> {
    try {
      await this.panel.sessionContext.ready;
      const info = await kernel.info;
      if (info.language_info.name !== 'python' || this._kernel !== kernel) {
        return;
      }
      const reply = await kernel.requestCommInfo({ target_name: TARGET });
      const comms = reply.content.status === 'ok' ? reply.content.comms : {};
      const id = Object.keys(comms).find(key => comms[key].target_name === TARGET);
      if (id !== undefined && this._comm === null && this._kernel === kernel) {
        if (!kernel.hasComm(id)) {
          this._link(kernel.createComm(TARGET, id));
        }
      }
    } catch {
      // The kernel went away while asking: the next kernel gets its own lookup.
    }
  }

  private _link(comm: Kernel.IComm): void {
    this._comm?.dispose();
    this._comm = comm;
    comm.onMsg = msg => this._receive(msg.content.data);
    comm.onClose = () => {
      if (this._comm === comm) {
        this._unlink();
      }
    };
    this._announce();
    this.send({ type: 'subscribe' });
  }

  private _unlink(): void {
    const hadState = this._state !== null;
    this._comm = null;
    this._state = null;
    this._asked = 0;
    this._acknowledged = null;
    if (hadState) {
      this._changed.emit();
    }
  }

  private _announce(): void {
    const root = PageConfig.getOption('serverRoot');
    this.send(notebookMessage(this.panel.context.path, root));
  }

  private _receive(data: unknown): void {
    const message = parseMessage(data);
    if (message === null) {
      return;
    }
    if (message.type === 'state') {
      this._state = message.state;
      this._changed.emit();
    } else if (message.type === 'ack') {
      this._acknowledged = message.path;
      this._changed.emit();
    } else if (message.type === 'result' || (message.type === 'error' && this._asked > 0)) {
      this._asked = Math.max(0, this._asked - 1);
      this._results.emit(message); // the answer to a user's request
    } else if (message.type === 'error') {
      console.warn(`nbtrack: the kernel could not answer: ${message.message}`);
    }
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _state: IKernelState | null = null;
  private _acknowledged: string | null = null;
  private _asked = 0; // sync/finish requests not answered yet
  private _changed = new Signal<this, void>(this);
  private _results = new Signal<this, KernelMessage>(this);
}
