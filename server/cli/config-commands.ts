/**
 * `maillon config set|get|list`: the node settings stored in its database, which every command and the
 * running node read (a flag given to one command and forgotten by the next is a mistake that sticks).
 *
 * @packageDocumentation
 */
import { NODE_SETTINGS, type NodeParts } from '../main.js';
import { UsageError, type Io } from './node-commands.js';

const USAGE = `usage: maillon config set KEY VALUE | config get [KEY] | config list; keys: ${Object.keys(NODE_SETTINGS).join(', ')}`;

function settingOf(key: string | undefined): string {
  if (key === undefined) throw new UsageError(USAGE);
  if (NODE_SETTINGS[key] === undefined) throw new UsageError(`unknown setting ${JSON.stringify(key)}; settings: ${Object.keys(NODE_SETTINGS).join(', ')}`);
  return key;
}

/**
 * Stores one setting, checked against {@link NODE_SETTINGS}.
 *
 * @throws UsageError for an unknown key or a value it does not take
 */
export async function storeSetting(node: NodeParts, key: string, text: string): Promise<string> {
  const setting = NODE_SETTINGS[settingOf(key)];
  const value = setting?.parse(text);
  if (setting === undefined || value === undefined) throw new UsageError(`${key} takes ${setting?.values ?? 'no value'}, not ${JSON.stringify(text)}`);
  await node.store.setSetting(key, value);
  return value;
}

/** `maillon config …`. */
export async function configCommand(node: NodeParts, args: readonly string[], io: Io): Promise<number> {
  const [sub, key, value, ...extra] = args;
  const stored = await node.store.settings();
  switch (sub) {
    case 'set': {
      if (value === undefined || extra.length > 0) throw new UsageError(USAGE);
      const saved = await storeSetting(node, settingOf(key), value);
      io.out(`${key} = ${saved} (stored in ${node.config.db}; a running node takes it at its next start)\n`);
      return 0;
    }
    case 'get': {
      if (value !== undefined) throw new UsageError(USAGE);
      if (key === undefined) {
        for (const name of Object.keys(NODE_SETTINGS)) io.out(`${name} = ${stored.get(name) ?? NODE_SETTINGS[name]?.fallback ?? ''}\n`);
        return 0;
      }
      io.out(`${stored.get(settingOf(key)) ?? NODE_SETTINGS[key]?.fallback ?? ''}\n`);
      return 0;
    }
    case 'list': {
      if (key !== undefined) throw new UsageError(USAGE);
      for (const [name, setting] of Object.entries(NODE_SETTINGS)) {
        const current = stored.get(name);
        io.out(`${name} = ${current ?? setting.fallback}${current === undefined ? ' (default)' : ''}\t${setting.meaning}\n`);
      }
      return 0;
    }
    default:
      throw new UsageError(USAGE);
  }
}
