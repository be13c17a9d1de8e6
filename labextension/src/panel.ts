/**
 * The side panel: the runs of the active notebook's kernel, the local runs not synced yet,
 * a Sync button and the result of the last sync.
 */
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { KernelLink } from './link';
import { IKernelState, IPendingRun, IRunInfo, stateTone } from './protocol';
import { LinkTracker } from './tracker';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="jp-icon3" ' +
  'fill="#616161" d="M3 20h18v2H3zM5 17l4-6 4 3 5-8 2 1.3-6.2 9.9-4-3-2.9 4.3z"/></svg>';

export const nbtrackIcon = new LabIcon({ name: 'nbtrack:runs', svgstr: ICON_SVG });

export const NOT_LOADED =
  'nbtrack is not loaded in this notebook\'s kernel. Run "import nbtrack; nbtrack.init()" ' +
  'or "%load_ext nbtrack" in the notebook.';

export class RunsPanel extends Widget {
  constructor(
    private readonly links: LinkTracker,
    private readonly onSync: () => void
  ) {
    super();
    this.id = 'nbtrack-runs';
    this.addClass('nbtrack-RunsPanel');
    this.title.icon = nbtrackIcon;
    this.title.caption = 'nbtrack runs';
    links.changed.connect(this.refresh, this);
    this.refresh();
  }

  refresh(): void {
    const link = this.links.active;
    const state = link?.state ?? null;
    this.node.replaceChildren(heading('nbtrack', 'h2'));
    if (link === null || state === null) {
      this.node.append(paragraph(link === null ? 'Open a notebook.' : NOT_LOADED, 'nbtrack-hint'));
      return;
    }
    this.node.append(...this._body(link, state));
  }

  private _body(link: KernelLink, state: IKernelState): HTMLElement[] {
    const notebook = paragraph(link.acknowledged ?? link.panel.context.path, 'nbtrack-notebook');
    notebook.title = 'The notebook file the kernel records for its runs';
    const runs = state.runs.slice().reverse().map(runItem);
    const pending = state.pending.map(pendingItem);
    const button = document.createElement('button');
    button.className = 'jp-mod-styled jp-mod-accept nbtrack-sync';
    button.textContent = state.sync.state === 'syncing' ? 'Syncing…' : 'Sync offline runs';
    button.disabled = state.sync.state === 'syncing';
    button.addEventListener('click', this.onSync);
    const result = paragraph(state.sync.text, 'nbtrack-sync-result');
    result.dataset.state = state.sync.state;
    return [
      notebook,
      heading("This kernel's runs", 'h3'),
      list(runs, 'nbtrack-runs', 'No run started in this kernel yet.'),
      heading('Not synced yet', 'h3'),
      list(pending, 'nbtrack-pending', 'Every local run is synced.'),
      button,
      result
    ];
  }
}

function runItem(run: IRunInfo): HTMLElement {
  const item = document.createElement('li');
  item.dataset.run = run.id;
  const name = run.url ? link(run.name, run.url) : span(run.name, 'nbtrack-name');
  const state = span(run.state, 'nbtrack-state');
  state.dataset.state = stateTone(run.state);
  const step = span(`step ${run.step}`, 'nbtrack-step');
  const upload = span(run.upload, 'nbtrack-upload');
  item.title = `${run.project}/${run.id}${run.current ? ' (current run)' : ''}\n${run.dir ?? ''}`;
  item.append(name, state, step, upload);
  return item;
}

function pendingItem(run: IPendingRun): HTMLElement {
  const item = document.createElement('li');
  item.dataset.run = run.id;
  item.title = run.dir;
  const state = span(run.state, 'nbtrack-state');
  state.dataset.state = stateTone(run.state);
  item.append(span(run.name, 'nbtrack-name'), span(run.project, 'nbtrack-project'), state);
  return item;
}

function list(items: HTMLElement[], className: string, empty: string): HTMLElement {
  if (items.length === 0) {
    return paragraph(empty, `nbtrack-empty ${className}`);
  }
  const element = document.createElement('ul');
  element.className = className;
  element.append(...items);
  return element;
}

function heading(text: string, tag: 'h2' | 'h3'): HTMLElement {
  const element = document.createElement(tag);
  element.textContent = text;
  return element;
}

function paragraph(text: string, className: string): HTMLElement {
  const element = document.createElement('p');
  element.className = className;
  element.textContent = text;
  return element;
}

function span(text: string, className: string): HTMLElement {
  const element = document.createElement('span');
  element.className = className;
  element.textContent = text;
  return element;
}

function link(text: string, url: string): HTMLElement {
  const element = document.createElement('a');
  element.className = 'nbtrack-name';
  element.href = url;
  element.target = '_blank';
  element.rel = 'noopener';
  element.textContent = text;
  return element;
}
