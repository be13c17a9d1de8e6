/** The kernel links of every open notebook, and which one belongs to the active notebook. */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { KernelLink } from './link';
import { KernelMessage } from './protocol';

export class LinkTracker {
  constructor(private readonly notebooks: INotebookTracker) {
    notebooks.widgetAdded.connect((_, panel) => this._add(panel));
    notebooks.currentChanged.connect(() => this._changed.emit());
    notebooks.forEach(panel => this._add(panel));
  }

  /** The link of the current notebook (the last one focused). */
  get active(): KernelLink | null {
    const panel = this.notebooks.currentWidget;
    return panel ? (this._links.get(panel) ?? null) : null;
  }

  /** Emitted when the active notebook changes or any link's state does. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Results of requests and kernel errors, from any notebook. */
  get results(): ISignal<this, KernelMessage> {
    return this._results;
  }

  linkOf(panel: NotebookPanel): KernelLink | null {
    return this._links.get(panel) ?? null;
  }

  private _add(panel: NotebookPanel): void {
    if (this._links.has(panel)) {
      return;
    }
    const link = new KernelLink(panel);
    this._links.set(panel, link);
    link.changed.connect(() => this._changed.emit());
    link.results.connect((_, message) => this._results.emit(message));
    panel.disposed.connect(() => {
      this._links.delete(panel);
      link.dispose();
      this._changed.emit();
    });
    this._changed.emit();
  }

  private _links = new Map<NotebookPanel, KernelLink>();
  private _changed = new Signal<this, void>(this);
  private _results = new Signal<this, KernelMessage>(this);
}
