// Starts `stapkit lsp` for SystemTap files. The server does the work: diagnostics,
// hover, completion, formatting, code actions; see docs/editors.md in stapkit.
'use strict';
const vscode = require('vscode');
const { LanguageClient, State } = require('vscode-languageclient/node');

let client;

// The settings the server reads (docs/editors.md), as the package declares them. Unset
// ones are null, which the server skips, so a stapkit.toml's values are not overridden.
function serverSettings(context) {
  const config = vscode.workspace.getConfiguration('stapkit');
  const settings = {};
  for (const key of Object.keys(context.extension.packageJSON.contributes.configuration.properties)) {
    const name = key.slice('stapkit.'.length);
    if (name !== 'path') settings[name] = config.get(name);
  }
  return settings;
}

async function start(context) {
  const command = vscode.workspace.getConfiguration('stapkit').get('path') || 'stapkit';
  const server = { command, args: ['lsp'] };
  client = new LanguageClient('stapkit', 'stapkit', { run: server, debug: server }, {
    documentSelector: [{ language: 'systemtap' }],
    initializationOptions: { stapkit: serverSettings(context) },
    // Changes of the "stapkit" settings are sent to the server, and it may ask for them.
    synchronize: {
      configurationSection: 'stapkit',
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{stapkit.toml,.stapkit.toml,pyproject.toml}'),
    },
  });
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `stapkit: could not start "${command} lsp" (${err.message || err}). ` +
      'Install stapkit (pip install stapkit) or set "stapkit.path".');
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('stapkit.restart', async () => {
      if (client && client.state !== State.Stopped) await client.stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      // A new command needs a new server; other settings reach the running one.
      if (event.affectsConfiguration('stapkit.path')) {
        await vscode.commands.executeCommand('stapkit.restart');
      }
    }),
  );
  await start(context);
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
