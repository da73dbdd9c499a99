import { parseAllDocuments } from 'yaml';
import { AWS_FOR_FLUENT_BIT_IMAGE, eksManifest } from '../../../lib/agent/eks-manifest';
import { AgentConfigError, fluentBitConfig } from '../../../lib/agent/fluent-bit-config';
import { parseConfig } from '../../../lib/config/load';

const ROLE = 'arn:aws:iam::123456789012:role/logtong-app-agent';

function pipeline(platform: 'ec2' | 'eks') {
  return parseConfig({
    pipelines: [
      {
        name: 'app',
        source: {
          type: 'fluent-bit',
          platform,
          logPaths: ['/var/log/containers/shop-*.log'],
          ...(platform === 'eks' ? { eks: { clusterName: 'prod', oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC', namespace: 'observability' } } : {}),
        },
        logFormat: { type: 'json' },
        engine: { type: 'light' },
      },
    ],
  }).pipelines[0];
}

describe('eksManifest', () => {
  const p = pipeline('eks');
  const config = fluentBitConfig(p, { region: 'eu-west-1', bucketName: 'buf' });
  const docs = parseAllDocuments(eksManifest(p, { roleArn: ROLE, configYaml: config })).map((d) => d.toJS());

  it('has the Namespace, ServiceAccount, ConfigMap and DaemonSet, in the pipeline\'s namespace', () => {
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'ServiceAccount', 'ConfigMap', 'DaemonSet']);
    expect(docs[0].metadata.name).toBe('observability');
    for (const d of docs.slice(1)) expect(d.metadata).toMatchObject({ name: 'logtong-app', namespace: 'observability' });
  });

  it('the ServiceAccount carries the IRSA role and the DaemonSet runs as it', () => {
    expect(docs[1].metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE });
    expect(docs[3].spec.template.spec.serviceAccountName).toBe('logtong-app');
  });

  it('the ConfigMap holds the Fluent Bit YAML byte for byte; the container reads it with -c', () => {
    expect(docs[2].data['fluent-bit.yaml']).toBe(config);
    const spec = docs[3].spec.template.spec;
    const c = spec.containers[0];
    expect(c.image).toBe(AWS_FOR_FLUENT_BIT_IMAGE);
    expect(AWS_FOR_FLUENT_BIT_IMAGE).toMatch(/:\d+\.\d+\.\d+$/);
    expect(c.command).toEqual(['/fluent-bit/bin/fluent-bit', '-c', '/fluent-bit/etc/fluent-bit.yaml']);
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'varlog', mountPath: '/var/log', readOnly: true },
        { name: 'state', mountPath: '/var/fluent-bit/state' },
        { name: 'config', mountPath: '/fluent-bit/etc/fluent-bit.yaml', subPath: 'fluent-bit.yaml', readOnly: true },
      ]),
    );
    expect(spec.volumes).toEqual(
      expect.arrayContaining([
        { name: 'varlog', hostPath: { path: '/var/log' } },
        { name: 'state', hostPath: { path: '/var/fluent-bit/state', type: 'DirectoryOrCreate' } },
        { name: 'config', configMap: { name: 'logtong-app' } },
      ]),
    );
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/api/v1/health', port: 2020 });
  });

  it('needs an eks source and a role', () => {
    expect(() => eksManifest(pipeline('ec2'), { roleArn: ROLE, configYaml: config })).toThrow(AgentConfigError);
    expect(() => eksManifest(p, { roleArn: '', configYaml: config })).toThrow(/role ARN/);
  });
});
