/**
 * The /bin/sh launcher at the top of every built agent. Pacemaker runs agents with a minimal PATH
 * (/usr/sbin:/usr/bin:/sbin:/bin), so `#!/usr/bin/env node` misses a Node.js unpacked into /usr/local/bin.
 * The file is a sh/JavaScript polyglot: sh reads the header, finds Node.js in fixed places and execs it on the
 * same file; Node.js skips the #! line and sees `":"` followed by one block comment holding the sh part.
 *
 * Node.js is looked up in this order: $LIOHA_NODE, the path fixed when the agent was built or installed
 * (`lioha_node=` line, rewritten by `make -C packaging install NODE=...`), /usr/bin/node, /usr/local/bin/node,
 * /usr/bin/nodejs.
 *
 * meta-data is always answered by sh from the text below (exit 0), without starting Node.js.
 *
 * With no Node.js, the agent still answers as OCF requires:
 *   usage                 from the text below (exit 0)
 *   monitor               5 (not installed): on a probe Pacemaker takes that as "stopped here, cannot run here".
 *                         But when this agent was started on this node since boot (marker under /run), the
 *                         resource may still be active and nothing can check it: 1, so Pacemaker recovers it
 *                         (its stop fails too, and fencing makes it safe) instead of starting a second copy.
 *   stop                  0 when the agent was never started on this node since boot (nothing of it can be
 *                         active: /run is emptied at boot); otherwise 5, since it cannot verify the stop.
 *   every other action    5 with an ocf-exit-reason.
 */

/** Where the launcher marks "started on this node since boot" (tmpfs, emptied at boot). */
export const STARTED_DIR = '/run/lioha/started';

/** The line a packager rewrites to fix the interpreter path. */
export const NODE_LINE = /^lioha_node=.*$/m;

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * V8 flags for the CLI's short runs: `lioha stats` (a scrape), `lioha status` and the munin plugin
 * symlinks live ~0.1 s, and the optimizing compilers' work (TurboFan compiling the hot read loop on a
 * helper thread) finishes about when the process exits: CPU spent for nothing. Sparkplug (baseline) is
 * kept. Long-running modes (--serve, --watch) keep every tier. The flags go only to the interpreter the
 * build checked them with (lioha_node), not to the fallbacks: an unknown V8 flag stops node.
 */
export interface ShortRunFlags {
  flags: string;
  /** First arguments that make a short run. */
  commands: readonly string[];
  /** Names the file is run as (symlinks) that make a short run. */
  names: readonly string[];
  /** Arguments that make it long-running after all. */
  longRunning: readonly string[];
}

const SAFE_WORD = /^[A-Za-z0-9_.=-]+$/;

function shortRunLines(s: ShortRunFlags): string[] {
  for (const w of [...s.flags.split(' '), ...s.commands, ...s.names, ...s.longRunning]) {
    if (!SAFE_WORD.test(w)) throw new Error(`launcher: ${JSON.stringify(w)} is not a plain word`);
  }
  const flags = shQuote(s.flags);
  return [
    'lioha_v8=',
    `case \${1-} in ${s.commands.join('|')}) lioha_v8=${flags} ;; esac`,
    // ${0##*[/]}: the plain star-slash form would end the JavaScript comment the launcher lives in.
    `case \${0##*[/]} in ${s.names.join('|')}) lioha_v8=${flags} ;; esac`,
    `[ -n "$lioha_v8" ] && for a in "$@"; do case $a in ${s.longRunning.flatMap((w) => [w, `${w}=*`]).join('|')}) lioha_v8= ;; esac; done`,
  ];
}

/** The meta-data XML as the heredoc body, checked so it cannot end the comment or the heredoc early. */
function metadataText(name: string, metadataXml: string): string {
  const xml = metadataXml.endsWith('\n') ? metadataXml : `${metadataXml}\n`;
  if (xml.includes('*/')) throw new Error(`${name}: meta-data contains "*/", which would end the launcher's comment`);
  if (/^LIOHA_METADATA_END$/m.test(xml)) throw new Error(`${name}: meta-data contains the heredoc delimiter`);
  return xml;
}

export function launcherHeader(o: { name: string; node: string; metadataXml?: string; actions?: readonly string[]; shortRun?: ShortRunFlags }): string {
  const { name, node } = o;
  const lines = [
    '#!/bin/sh',
    '":" /*',
    `# lioha ${o.metadataXml ? 'OCF agent' : 'command'} ${name}: a sh launcher for the JavaScript below (see scripts/launcher.ts).`,
    `lioha_node=${shQuote(node)}`,
    // meta-data is static text: answered by sh, without starting Node.js. Pacemaker and pcs ask for it
    // with a 5 s limit, which a Node.js start-up on a loaded (or emulated) node can exceed.
    ...(o.metadataXml ? ['case ${1-} in', "meta-data) cat <<'LIOHA_METADATA_END'", metadataText(o.name, o.metadataXml) + 'LIOHA_METADATA_END', '  exit 0 ;;', 'esac'] : []),
    ...(o.shortRun ? shortRunLines(o.shortRun) : []),
    'for n in "${LIOHA_NODE-}" "$lioha_node" /usr/bin/node /usr/local/bin/node /usr/bin/nodejs; do',
    '  if [ -x "$n" ]; then',
    '    case ${1-} in',
    '    lioha-interpreter) echo "$n"; exit 0 ;;',
    // The directory is there after the first start since boot: test it rather than fork mkdir each time.
    ...(o.metadataXml ? [`    start) { [ -d ${STARTED_DIR} ] || mkdir -p ${STARTED_DIR}; } 2>/dev/null && : >${STARTED_DIR}/${name} 2>/dev/null ;;`] : []),
    '    esac',
    ...(o.shortRun ? ['    # shellcheck disable=SC2086 # lioha_v8 is empty or plain words', '    [ "$n" = "$lioha_node" ] && exec "$n" $lioha_v8 "$0" "$@"'] : []),
    '    exec "$n" "$0" "$@"',
    '  fi',
    'done',
    `why="no Node.js found (looked in \${LIOHA_NODE:+$LIOHA_NODE, }$lioha_node, /usr/bin/node, /usr/local/bin/node, /usr/bin/nodejs)"`,
  ];
  if (!o.metadataXml) {
    lines.push(`[ "\${1-}" = lioha-interpreter ] && exit 1`, `echo "${name}: $why" >&2`, 'exit 1');
  } else {
    const started = `[ -e ${STARTED_DIR}/${name} ]`;
    lines.push(
      'case ${1-} in',
      `usage|help) echo "usage: $0 {${(o.actions ?? []).join('|')}}"; exit 0 ;;`,
      'lioha-interpreter) exit 1 ;;',
      `monitor) if ${started}; then echo "ocf-exit-reason:cannot check: no Node.js; was started here since boot, may still be active" >&2; exit 1; fi ;;`,
      `stop) if ! ${started}; then echo "${name}: $why; never started on this node since boot: nothing to stop" >&2; exit 0; fi ;;`,
      'esac',
      'echo "ocf-exit-reason:$why" >&2',
      'exit 5',
    );
  }
  if (lines.some((l) => l.includes('*/'))) throw new Error(`${name}: the launcher's sh text contains "*/", which would end its comment`);
  lines.push('*/');
  return `${lines.join('\n')}\n`;
}
