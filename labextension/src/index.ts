/**
 * nbtrack's JupyterLab extension: tells each kernel its notebook's path, shows the kernel's run
 * in the status bar, lists its runs and the unsynced local runs in a side panel, and adds three
 * commands (palette and notebook toolbar). Nothing shows for kernels without nbtrack.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';
import {
  CommandToolbarButton,
  launchIcon,
  refreshIcon,
  stopIcon
} from '@jupyterlab/ui-components';

import { RunsPanel } from './panel';
import { shownRun } from './protocol';
import { RunStatus } from './statusbar';
import { LinkTracker } from './tracker';

export const COMMANDS = {
  sync: 'nbtrack:sync',
  finish: 'nbtrack:finish',
  open: 'nbtrack:open-run'
} as const;

function addCommands(app: JupyterFrontEnd, links: LinkTracker): void {
  const state = () => links.active?.state ?? null;
  const running = () => {
    const run = shownRun(state());
    return run !== null && run.state === 'running' ? run : null;
  };
  app.commands.addCommand(COMMANDS.sync, {
    label: 'nbtrack: Sync offline runs',
    icon: refreshIcon,
    caption: 'Upload the local runs the server does not have yet',
    isEnabled: () => state() !== null && state()?.sync.state !== 'syncing',
    isVisible: () => state() !== null,
    execute: () => void links.active?.send({ type: 'sync' })
  });
  app.commands.addCommand(COMMANDS.finish, {
    label: 'nbtrack: Finish current run',
    icon: stopIcon,
    caption: "Finish the notebook kernel's current nbtrack run",
    isEnabled: () => running() !== null,
    isVisible: () => state() !== null,
    execute: () => void links.active?.send({ type: 'finish', run: running()?.id ?? null })
  });
  app.commands.addCommand(COMMANDS.open, {
    label: 'nbtrack: Open run page',
    icon: launchIcon,
    caption: "Open the run page of the notebook kernel's run on the nbtrack server",
    isEnabled: () => !!shownRun(state())?.url,
    isVisible: () => state() !== null,
    execute: () => {
      const url = shownRun(state())?.url;
      if (url) {
        window.open(url, '_blank', 'noopener');
      }
    }
  });
  links.changed.connect(() => {
    Object.values(COMMANDS).forEach(id => app.commands.notifyCommandChanged(id));
  });
}

function addToolbarButtons(app: JupyterFrontEnd, panel: NotebookPanel): void {
  const names = ['sync', 'finish', 'open'] as const;
  names.forEach((name, index) => {
    const button = new CommandToolbarButton({
      commands: app.commands,
      id: COMMANDS[name],
      label: ''
    });
    button.addClass(`nbtrack-toolbar-${name}`);
    panel.toolbar.insertItem(20 + index, `nbtrack-${name}`, button);
  });
}

function reportResults(links: LinkTracker): void {
  links.results.connect((_, message) => {
    if (message.type === 'error') {
      Notification.error(`nbtrack: ${message.message}`, { autoClose: 8000 });
    } else if (message.type === 'result' && !message.ok) {
      Notification.warning(`nbtrack: ${message.message}`, { autoClose: 8000 });
    }
  });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'nbtrack:plugin',
  description: 'nbtrack in JupyterLab: notebook identity, run status, commands and runs panel.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IStatusBar, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    statusBar: IStatusBar | null,
    palette: ICommandPalette | null
  ) => {
    const links = new LinkTracker(notebooks);
    addCommands(app, links);
    notebooks.widgetAdded.connect((_, panel) => addToolbarButtons(app, panel));
    reportResults(links);
    if (statusBar) {
      const item = new RunStatus(links);
      statusBar.registerStatusItem('nbtrack:run-status', {
        item,
        align: 'left',
        rank: 100,
        isActive: () => item.run !== null,
        activeStateChanged: links.changed
      });
    }
    if (palette) {
      Object.values(COMMANDS).forEach(command => palette.addItem({ command, category: 'nbtrack' }));
    }
    const panel = new RunsPanel(links, () => void app.commands.execute(COMMANDS.sync));
    app.shell.add(panel, 'right', { rank: 600 });
  }
};

export default plugin;
