/**
 * CloudFormation's intrinsic functions evaluated over a synthesized value, with the names of resources and pseudo
 * parameters supplied by the caller: fake names that still say which resource they are (the state-machine runner,
 * asl-definition.ts) or the names the local resources got (`logtong local`, stack-resources.ts).
 */

/** AWS::NoValue: the key or list item that holds it is left out. */
export const NO_VALUE = Symbol('AWS::NoValue');

export interface IntrinsicNames {
  /** `Ref` of a resource, parameter or pseudo parameter (`AWS::Region`; `AWS::NoValue` never reaches it). */
  ref(name: string, at: string): unknown;
  getAtt(id: string, attribute: string, at: string): unknown;
  /** `Fn::FindInMap`. @default a mapping is an error */
  mapping?(map: string, key: string, name: string): unknown;
  /** `Fn::ImportValue` (another stack's export). @default an import is an error */
  importValue?(name: string, at: string): unknown;
}

/**
 * `v` with its intrinsics evaluated (those a synthesized pipeline stack uses; conditions and `Fn::If` are not: the
 * stacks have none, and one throws, naming it); `at` names where `v` is, for the callers' errors (`x.Environment.Y`).
 */
export function evaluateIntrinsics(v: unknown, names: IntrinsicNames, at = 'value'): unknown {
  const ref = (name: string, where: string) => (name === 'AWS::NoValue' ? NO_VALUE : names.ref(name, where));
  const sub = (text: string, vars: Record<string, unknown>, where: string): string =>
    text.replace(/\$\{(!?)([^}]*)\}/g, (_m, bang: string, name: string) => {
      if (bang) return '${' + name + '}';
      if (name in vars) return String(vars[name]);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) return String(names.getAtt(name.slice(0, dot), name.slice(dot + 1), where));
      return String(ref(name, where));
    });
  const go = (x: unknown, where: string): unknown => {
    if (Array.isArray(x)) return x.map((y, i) => go(y, `${where}[${i}]`)).filter((y) => y !== NO_VALUE);
    if (x === null || typeof x !== 'object') return x;
    const entries = Object.entries(x as Record<string, unknown>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      const [fn, arg] = entries[0];
      const a = arg as any;
      switch (fn) {
        case 'Ref':
          return ref(String(a), where);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(a) ? a : String(a).split(/\.(.*)/s);
          return names.getAtt(id, String(go(attr, where)), where);
        }
        case 'Fn::Join':
          return (go(a[1], where) as unknown[]).map(String).join(a[0]);
        case 'Fn::Sub':
          return Array.isArray(a) ? sub(a[0], go(a[1], where) as Record<string, unknown>, where) : sub(a, {}, where);
        case 'Fn::Select':
          return (go(a[1], where) as unknown[])[Number(go(a[0], where))];
        case 'Fn::Split':
          return String(go(a[1], where)).split(a[0]);
        case 'Fn::FindInMap': {
          const [m, k1, k2] = (a as unknown[]).map((y) => go(y, where)) as string[];
          if (!names.mapping) throw new Error(`${where}: Fn::FindInMap is not supported here`);
          return names.mapping(m, k1, k2);
        }
        case 'Fn::ImportValue':
          if (!names.importValue) throw new Error(`${where}: Fn::ImportValue is not supported here`);
          return names.importValue(String(go(a, where)), where);
        case 'Fn::GetAZs': {
          const region = String(ref('AWS::Region', where));
          return ['a', 'b', 'c'].map((z) => `${region}${z}`);
        }
        case 'Fn::Base64':
          return Buffer.from(String(go(a, where))).toString('base64');
        default:
          throw new Error(`${where}: ${fn} is not supported`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, val] of entries) {
      const r = go(val, `${where}.${k}`);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  };
  return go(v, at);
}
