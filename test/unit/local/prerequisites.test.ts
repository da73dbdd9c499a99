import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findJava, MissingPrerequisiteError } from '../../../lib/local/prerequisites';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'logtong-java-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A folder holding a `java` that answers -XshowSettings:properties as a JVM of that version and home would. */
function fakeJava(version: string, home: string): string {
  const bin = path.join(dir, `java-${version}`, 'bin');
  mkdirSync(bin, { recursive: true });
  const script = path.join(bin, 'java');
  writeFileSync(script, `#!/bin/sh\necho "Property settings:" >&2\necho "    java.home = ${home}" >&2\necho "    java.specification.version = ${version}" >&2\necho 'openjdk version "${version}"' >&2\n`);
  chmodSync(script, 0o755);
  return bin;
}

const NO_JAVA = 'Java 17 or later is needed to run the OpenSearch node: install openjdk-17-jre-headless (apt) or set JAVA_HOME';

describe('findJava', () => {
  it('without any java on PATH nor JAVA_HOME: one line that says what to install, as a MissingPrerequisiteError', () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    let thrown: unknown;
    try {
      findJava({ PATH: empty });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(MissingPrerequisiteError);
    expect(thrown).toMatchObject({ name: 'MissingPrerequisiteError', prerequisite: 'java', message: NO_JAVA });
  });

  it('with only an older Java: says which was found', () => {
    expect(() => findJava({ PATH: fakeJava('11', '/opt/jdk-11') })).toThrow(
      'Java 17 or later is needed to run the OpenSearch node (found only Java 11 at /opt/jdk-11): install openjdk-17-jre-headless (apt) or set JAVA_HOME',
    );
    expect(() => findJava({ PATH: fakeJava('1.8', '/opt/jdk-8/jre') })).toThrow('(found only Java 8 at /opt/jdk-8/jre)');
  });

  it('takes the JVM’s own home and version, from JAVA_HOME before PATH', () => {
    const onPath = fakeJava('17', '/usr/lib/jvm/java-17');
    const home = path.dirname(fakeJava('21', '/opt/jdk-21'));
    expect(findJava({ PATH: onPath })).toEqual({ home: '/usr/lib/jvm/java-17', version: 17 });
    expect(findJava({ PATH: onPath, JAVA_HOME: home })).toEqual({ home: '/opt/jdk-21', version: 21 });
  });

  it('passes over a JAVA_HOME that is too old for the java on PATH', () => {
    const home = path.dirname(fakeJava('11', '/opt/jdk-11'));
    expect(findJava({ PATH: fakeJava('17', '/usr/lib/jvm/java-17'), JAVA_HOME: home })).toEqual({ home: '/usr/lib/jvm/java-17', version: 17 });
  });

  it('passes over a JAVA_HOME without a java in it', () => {
    expect(findJava({ PATH: fakeJava('17', '/usr/lib/jvm/java-17'), JAVA_HOME: path.join(dir, 'nothing-here') })).toEqual({ home: '/usr/lib/jvm/java-17', version: 17 });
  });
});
