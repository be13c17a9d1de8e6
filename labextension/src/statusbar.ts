/** The status bar item: the active notebook's nbtrack run, its state in colour; a click opens it. */
import { Widget } from '@lumino/widgets';

import { IRunInfo, shownRun, stateTone, statusText, statusTitle } from './protocol';
import { LinkTracker } from './tracker';

export class RunStatus extends Widget {
  constructor(private readonly links: LinkTracker) {
    super();
    this.addClass('nbtrack-StatusItem');
    this.node.setAttribute('role', 'button');
    this.node.addEventListener('click', () => this._open());
    links.changed.connect(this._refresh, this);
    this._refresh();
  }

  /** The run on show, if any. */
  get run(): IRunInfo | null {
    return shownRun(this.links.active?.state ?? null);
  }

  private _refresh(): void {
    const run = this.run;
    this.node.dataset.state = run ? stateTone(run.state) : 'none';
    this.node.textContent = run ? statusText(run) : '';
    this.node.title = run ? statusTitle(run) : '';
    this.node.classList.toggle('nbtrack-mod-link', !!run?.url);
    this.setHidden(run === null);
  }

  private _open(): void {
    const url = this.run?.url;
    if (url) {
      window.open(url, '_blank', 'noopener');
    }
  }
}
