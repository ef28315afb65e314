import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEndpointsFile, readBaselineFile, readSystemFile } from '../../../src/cli/endpoints-file.js';
import { ConfigError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/cli.js';

function problemsOf(f: () => unknown): { where: string; message: string }[] {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('--endpoints-file', () => {
  it('reads YAML objects and "URL,k=v" strings', () => {
    const specs = parseEndpointsFile(
      [
        '# the cluster',
        '- url: http://node1:8000',
        '  model: llama2-70b',
        '  labels: { gpu: MI355X, precision: fp4, nodes: 1 }',
        '- http://node2:8000,gpu=MI300X',
      ].join('\n'),
      'cluster.yaml',
    );
    expect(specs).toEqual([
      { url: 'http://node1:8000', model: 'llama2-70b', labels: { gpu: 'MI355X', precision: 'fp4', nodes: '1' } },
      { url: 'http://node2:8000', model: null, labels: { gpu: 'MI300X' } },
    ]);
  });

  it('reads JSON, with or without a top-level endpoints key', () => {
    const list = [{ url: 'http://a:1' }, { url: 'http://b:2', labels: { gpu: 'MI325X' } }];
    const a = parseEndpointsFile(JSON.stringify(list), 'e.json');
    const b = parseEndpointsFile(JSON.stringify({ endpoints: list }), 'e.json');
    expect(a).toEqual(b);
    expect(a[1]).toEqual({ url: 'http://b:2', model: null, labels: { gpu: 'MI325X' } });
  });

  it('reads one URL[,k=v] per line, skipping comments and blanks', () => {
    const specs = parseEndpointsFile('# nodes\nhttp://n1:8000,model=m,gpu=MI355X   # fast one\n\nhttps://n2:8443\n', 'endpoints.txt');
    expect(specs).toEqual([
      { url: 'http://n1:8000', model: 'm', labels: { gpu: 'MI355X' } },
      { url: 'https://n2:8443', model: null, labels: {} },
    ]);
  });

  it('names every bad line and field at once', () => {
    const p = problemsOf(() => parseEndpointsFile('http://ok:1\nnot-a-url\nhttp://x:2,gpu\n', 'eps.txt'));
    expect(p.map((x) => x.where)).toEqual(['eps.txt:2', 'eps.txt:3']);
    const q = problemsOf(() => parseEndpointsFile('- url: 5\n- url: http://a:1\n  labels: [1]\n  colour: red\n- 7\n', 'eps.yaml'));
    expect(q.map((x) => x.where)).toEqual(['eps.yaml: endpoints[0].url', 'eps.yaml: endpoints[1].colour', 'eps.yaml: endpoints[1].labels', 'eps.yaml: endpoints[2]']);
  });

  it('refuses an empty file and a non-list', () => {
    expect(problemsOf(() => parseEndpointsFile('# nothing\n', 'e.txt'))[0]!.message).toContain('no endpoint');
    expect(problemsOf(() => parseEndpointsFile('{ url: http://a:1 }', 'e.yaml'))[0]!.message).toContain('list');
  });
});

describe('--system and --baseline', () => {
  it('records a system description verbatim and refuses what is not a JSON object', () => {
    const dir = tempDir();
    const sys = { system_name: '8xMI355X', number_of_nodes: 2, accelerators_per_node: 8, nested: { a: [1, 2] } };
    writeFileSync(join(dir, 'sys.json'), JSON.stringify(sys));
    expect(readSystemFile('sys.json', dir)).toEqual(sys);
    writeFileSync(join(dir, 'bad.json'), '[1,2]');
    expect(problemsOf(() => readSystemFile('bad.json', dir))[0]!.message).toContain('object');
    expect(problemsOf(() => readSystemFile('missing.json', dir))[0]!.message).toContain('cannot read');
  });

  it('refuses a baseline that is not a result', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'b.json'), '{"schemaVersion": 1}');
    expect(() => readBaselineFile('b.json', dir)).toThrow(ConfigError);
  });
});
