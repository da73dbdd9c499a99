/**
 * What the OpenSearch node needs from the machine beyond Node: Java 17+, unzip, and when running as root, setpriv
 * and an unprivileged user to run as (OpenSearch refuses root). A missing one is a MissingPrerequisiteError whose
 * message is one line naming what to install, for `logtong local` to print as it is.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export type Prerequisite = 'java' | 'unzip' | 'setpriv' | 'run-user' | 'fluent-bit';

/** Something the machine lacks; `message` is one line that says what to install or set. */
export class MissingPrerequisiteError extends Error {
  constructor(
    readonly prerequisite: Prerequisite,
    message: string,
  ) {
    super(message);
    this.name = 'MissingPrerequisiteError';
  }
}

/** The oldest Java the node is run on here (.ci/setup-opensearch.sh installs 17): an older one is refused up front. */
export const MIN_JAVA_VERSION = 17;

export interface JavaInstallation {
  /** What JAVA_HOME must be for bin/opensearch (it finds java nowhere else, the integ-test-zip has no bundled JDK). */
  home: string;
  /** The feature release (17, 21, …). */
  version: number;
}

/**
 * The first Java 17+ among OPENSEARCH_JAVA_HOME, JAVA_HOME and `java` on PATH (as bin/opensearch-env orders the
 * first two), asking each JVM itself for its home and version, so links (/usr/bin/java → /etc/alternatives → …) and
 * a JAVA_HOME that points at a JRE both come out right.
 */
export function findJava(env: NodeJS.ProcessEnv = process.env): JavaInstallation {
  const candidates = [env.OPENSEARCH_JAVA_HOME, env.JAVA_HOME].filter((h): h is string => !!h).map((h) => path.join(h, 'bin', 'java'));
  candidates.push('java');
  const tooOld: string[] = [];
  for (const java of candidates) {
    const childEnv = { ...env };
    delete childEnv.JAVA_TOOL_OPTIONS; // the JVM would announce it on stderr, among the properties
    // spawnSync looks `java` up on the PATH of the env it is given.
    const r = spawnSync(java, ['-XshowSettings:properties', '-version'], { env: childEnv, encoding: 'utf8', timeout: 60_000 });
    if (r.error || r.status !== 0) continue;
    const property = (name: string) => new RegExp(`^\\s*${name.replace(/\./g, '\\.')} = (.*)$`, 'm').exec(r.stderr)?.[1].trim();
    const home = property('java.home');
    // "1.8" before Java 9, "17" after
    const spec = (property('java.specification.version') ?? '').replace(/^1\./, '');
    const version = Number.parseInt(spec, 10);
    if (!home || !Number.isFinite(version)) continue;
    if (version >= MIN_JAVA_VERSION) return { home, version };
    tooOld.push(`Java ${version} at ${home}`);
  }
  throw new MissingPrerequisiteError(
    'java',
    `Java ${MIN_JAVA_VERSION} or later is needed to run the OpenSearch node${tooOld.length ? ` (found only ${tooOld.join(', ')})` : ''}: install openjdk-17-jre-headless (apt) or set JAVA_HOME`,
  );
}

/** unzip extracts the distribution (Node has no zip reader built in). */
export function requireUnzip(env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync('unzip', ['-v'], { env, stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new MissingPrerequisiteError('unzip', 'unzip is needed to extract the OpenSearch distribution: install unzip (apt)');
  }
}

// ---- running as root ------------------------------------------------------------------------------------------------

/** Who runs the node when we are root. */
export const runUser = (): string => process.env.LOGTONG_OPENSEARCH_USER || 'logtong';

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** uid/gid of the unprivileged user the node runs as when we are root. */
export function runUserIds(): { uid: number; gid: number } {
  const user = runUser();
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new MissingPrerequisiteError(
      'run-user',
      `OpenSearch refuses to run as root and the user '${user}' does not exist: create it (useradd --system --user-group ${user}; .ci/setup-opensearch.sh does) or set LOGTONG_OPENSEARCH_USER to an unprivileged user`,
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export function dropPrivArgs(): string[] {
  return [`--reuid=${runUser()}`, `--regid=${runUser()}`, '--init-groups', '--'];
}

let setprivOk: boolean | undefined;
const haveSetpriv = (): boolean => (setprivOk ??= spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0);

/**
 * Command prefix for the node: setpriv (util-linux) execs in place, so the group leader becomes the JVM itself;
 * --pdeathsig kills it even when our process dies without running exit hooks (e.g. a jest worker that gets
 * SIGKILLed). As root it also drops to the unprivileged run user.
 */
export function launchPrefix(): string[] {
  if (!haveSetpriv()) {
    if (isRoot()) throw new MissingPrerequisiteError('setpriv', `setpriv is needed to run OpenSearch as '${runUser()}' when running as root: install util-linux (apt)`);
    return [];
  }
  return ['setpriv', '--pdeathsig', 'SIGKILL', ...(isRoot() ? dropPrivArgs() : ['--'])];
}

/** As root: can the run user do `test <args>` (e.g. `-r dir -a -x dir`)? A folder under /root usually fails. */
export function runUserPasses(...testArgs: string[]): boolean {
  return spawnSync('setpriv', [...dropPrivArgs(), 'test', ...testArgs], { stdio: 'ignore' }).status === 0;
}
