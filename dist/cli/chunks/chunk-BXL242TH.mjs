import {
  AGENT_HTTP_PORT,
  AGENT_STATE_DIR,
  AgentConfigError
} from "./chunk-ESIZHS62.mjs";

// lib/agent/eks-manifest.ts
import { stringify } from "yaml";
var AWS_FOR_FLUENT_BIT_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.2.1";
var AGENT_CONFIG_PATH = "/fluent-bit/etc/fluent-bit.yaml";
function agentServiceAccountName(pipelineName) {
  return `logtong-${pipelineName}`;
}
function eksManifestDocuments(pipeline, opts) {
  const source = pipeline.source;
  if (source.type !== "fluent-bit" || source.platform !== "eks" || !source.eks) {
    throw new AgentConfigError(`pipeline ${pipeline.name}: the EKS manifest needs a fluent-bit source with platform eks`);
  }
  if (!opts.roleArn) throw new AgentConfigError(`pipeline ${pipeline.name}: the EKS manifest needs the agent role ARN`);
  const namespace = source.eks.namespace;
  const name = opts.name ?? agentServiceAccountName(pipeline.name);
  const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "logtong", "logtong.io/pipeline": pipeline.name };
  const metadata = { name, namespace, labels };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { "app.kubernetes.io/part-of": "logtong" } } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { ...metadata, annotations: { "eks.amazonaws.com/role-arn": opts.roleArn } } },
    { apiVersion: "v1", kind: "ConfigMap", metadata, data: { "fluent-bit.yaml": opts.configYaml } },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata,
      spec: {
        selector: { matchLabels: { "app.kubernetes.io/name": name } },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "10%" } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            // Logs of every node, control-plane-tainted and dedicated ones included.
            tolerations: [{ operator: "Exists" }],
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: "fluent-bit",
                image: AWS_FOR_FLUENT_BIT_IMAGE,
                imagePullPolicy: "IfNotPresent",
                // The image's default command reads its classic .conf; the binary takes the YAML file with -c.
                command: ["/fluent-bit/bin/fluent-bit", "-c", AGENT_CONFIG_PATH],
                ports: [{ name: "http", containerPort: AGENT_HTTP_PORT }],
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                livenessProbe: { httpGet: { path: "/api/v1/health", port: AGENT_HTTP_PORT }, initialDelaySeconds: 30, periodSeconds: 30 },
                readinessProbe: { httpGet: { path: "/api/v1/health", port: AGENT_HTTP_PORT }, periodSeconds: 10 },
                securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
                volumeMounts: [
                  { name: "varlog", mountPath: "/var/log", readOnly: true },
                  { name: "state", mountPath: AGENT_STATE_DIR },
                  { name: "config", mountPath: AGENT_CONFIG_PATH, subPath: "fluent-bit.yaml", readOnly: true }
                ]
              }
            ],
            volumes: [
              { name: "varlog", hostPath: { path: "/var/log" } },
              // The offsets DB and the filesystem buffer outlive the pod: a restarted agent resumes where it was.
              { name: "state", hostPath: { path: AGENT_STATE_DIR, type: "DirectoryOrCreate" } },
              { name: "config", configMap: { name } }
            ]
          }
        }
      }
    }
  ];
}
function eksManifest(pipeline, opts) {
  return eksManifestDocuments(pipeline, opts).map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}

export {
  AWS_FOR_FLUENT_BIT_IMAGE,
  agentServiceAccountName,
  eksManifest
};
