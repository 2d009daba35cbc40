// Container image references as the deployer accepts them:
//
//   [registry[:port]/]repository[/more]...[:tag][@sha256:<64 hex>]
//
// Stricter than Docker in one way: the registry host must be lower case too, because the same
// image spelled two ways would look like two releases (and defeat latest-wins de-duplication).

const MAX_LENGTH = 255;
const DIGEST = /@sha256:([0-9a-f]{64})$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Docker's rule: the first component is a registry when it has a dot, a port or is localhost. */
function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component.toLowerCase() === 'localhost';
}

function registryProblem(registry: string): string | undefined {
  if (registry !== registry.toLowerCase()) return `registry host "${registry}" must be lower case`;
  const [host, port, ...rest] = registry.split(':');
  if (rest.length > 0) return `registry "${registry}" has more than one ":"`;
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return `registry port "${port}" must be a number`;
  if (!host!.split('.').every((label) => HOST_LABEL.test(label))) return `registry host "${host}" is not a valid host name`;
  return undefined;
}

/** Why `ref` is not an acceptable image reference, or undefined when it is. */
export function imageRefProblem(ref: string): string | undefined {
  if (ref.length === 0) return 'must not be empty';
  if (ref.length > MAX_LENGTH) return `must be at most ${MAX_LENGTH} characters`;
  if (/\s/.test(ref)) return 'must not contain whitespace';

  let rest = ref;
  if (rest.includes('@')) {
    if (!DIGEST.test(rest)) return 'has a digest that is not @sha256: followed by 64 lower-case hexadecimal digits';
    rest = rest.replace(DIGEST, '');
  }
  const components = rest.split('/');
  const last = components.pop()!;
  const tagAt = last.indexOf(':');
  const name = tagAt === -1 ? last : last.slice(0, tagAt);
  const tag = tagAt === -1 ? undefined : last.slice(tagAt + 1);
  if (tag !== undefined && !TAG.test(tag)) return `tag "${tag}" must be 1-128 of letters, digits, "_", "." and "-", not starting with "." or "-"`;

  if (components.length > 0 && looksLikeRegistry(components[0]!)) {
    const problem = registryProblem(components.shift()!);
    if (problem) return problem;
  }
  for (const component of [...components, name]) {
    if (component === '') return 'has an empty path component';
    if (component !== component.toLowerCase()) return `repository path "${[...components, name].join('/')}" must be lower case`;
    if (!PATH_COMPONENT.test(component)) return `repository path component "${component}" may only use lower-case letters, digits and single separators (".", "_", "__", "-")`;
  }
  return undefined;
}
