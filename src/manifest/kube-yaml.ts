// YAML read and written the way Kubernetes reads it. The API machinery (kubectl, sigs.k8s.io/yaml)
// follows YAML 1.1, where `defaultMode: 0644` is octal 420 and `enabled: yes` is true; the `yaml`
// package defaults to 1.2, which would read 644 and "yes" and silently change what is deployed.
// So values files and rendered manifests are parsed as 1.1, and the stored manifest is written so
// that 1.1 and 1.2 readers agree on every scalar.
import YAML, { type CreateNodeOptions, type DocumentOptions, type ParseOptions, type SchemaOptions, type ToStringOptions } from 'yaml';

// The `yaml` package's 1.1 floats accept a number without digits: `e0001` (an environment named
// so) would become NaN and `.` would be a float. Kubernetes' reader wants a digit before the
// exponent and in every float; these are its patterns.
const FLOAT_1_1 = {
  EXP: /^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$/,
  plain: /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/,
};

/** Parse options for YAML that Kubernetes will read. */
export const kubeParseOptions: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  customTags: (tags) =>
    tags
      // Kubernetes hands dates through as strings; the 1.1 timestamp type would turn them into Dates.
      .filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp')
      .map((tag) => {
        if (typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:float' || !('test' in tag) || !tag.test) return tag;
        if (tag.format === 'EXP') return { ...tag, test: FLOAT_1_1.EXP };
        // the plain float, told from .inf/.nan (no format either) by what it matches
        if (!tag.format && tag.test.test('1.5')) return { ...tag, test: FLOAT_1_1.plain };
        return tag;
      }),
};

const kubeDocumentOptions: DocumentOptions & SchemaOptions & CreateNodeOptions = {
  version: '1.1',
  // Repeated objects (from aliases in the source) are written out in full, never as anchors.
  aliasDuplicateObjects: false,
};

// Never fold long strings: the text stays stable and greppable.
const kubeToStringOptions: ToStringOptions = { lineWidth: 0 };

// Plain scalars the YAML 1.2 core schema resolves to null, booleans or numbers.
const CORE_12_NON_STRING =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/**
 * Serialises one document canonically: the same value always gives the same text. Strings the 1.1
 * writer would leave plain but 1.2 reads differently (`0o17`) are double-quoted.
 */
export function stringifyKubeDocument(value: unknown): string {
  const doc = new YAML.Document(value, kubeDocumentOptions);
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && CORE_12_NON_STRING.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString(kubeToStringOptions);
}

/** The first line of a YAML error without the position, which callers report in their own words. */
export function describeYamlError(error: YAML.YAMLError): { line: number | undefined; message: string } {
  const firstLine = error.message.split('\n')[0] ?? error.message;
  return {
    line: error.linePos?.[0].line,
    message: firstLine.replace(/ at line \d+, column \d+:?$/, ''),
  };
}
