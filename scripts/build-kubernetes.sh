#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kube-scheduler from the Go module
# proxy into OUT_DIR. k8s.io/kubernetes maps its staging modules to ./staging paths that are
# ignored when it is a dependency, so a plain `go install` fails; a throwaway wrapper module that
# pins every staging module to its published v0.X.Y tag builds it instead.
set -euo pipefail

K8S_VERSION="${1:?usage: build-kubernetes.sh <k8s-version> <etcd-version> <out-dir>}"
ETCD_VERSION="${2:?}"
OUT_DIR="${3:?}"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
staging_version="v0.${K8S_VERSION#v1.}"
major_minor="${K8S_VERSION#v}"; major="${major_minor%%.*}"; rest="${major_minor#*.}"; minor="${rest%%.*}"

work="$(mktemp -d "${TMPDIR:-/tmp}/deployer-k8s-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

gomod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
[ -f "$gomod" ] || { echo "could not download k8s.io/kubernetes@${K8S_VERSION} from the Go module proxy" >&2; exit 1; }

{
  echo "module deployer.local/k8s-build"
  echo
  echo "go $(sed -n 's/^go \(.*\)/\1/p' "$gomod")"
  echo
  echo "require k8s.io/kubernetes ${K8S_VERSION}"
  echo
  echo "replace ("
  # every `k8s.io/<name> => ./staging/...` line of the upstream go.mod
  sed -n 's#^\s*\(k8s.io/[^ ]*\) => ./staging/.*#\t\1 => \1 '"${staging_version}"'#p' "$gomod"
  echo ")"
} > go.mod

go get "k8s.io/kubernetes@${K8S_VERSION}" \
  "k8s.io/kubernetes/cmd/kube-apiserver@${K8S_VERSION}" \
  "k8s.io/kubernetes/cmd/kube-controller-manager@${K8S_VERSION}" \
  "k8s.io/kubernetes/cmd/kube-scheduler@${K8S_VERSION}" \
  "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"

version_flags="-X k8s.io/component-base/version.gitVersion=${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=${major} -X k8s.io/component-base/version.gitMinor=${minor}"
mkdir -p "$OUT_DIR"
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  start=$(date +%s)
  go build -trimpath -ldflags "-s -w ${version_flags}" -o "$OUT_DIR/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
  mv "$OUT_DIR/$cmd.tmp" "$OUT_DIR/$cmd"
  echo "built $cmd ${K8S_VERSION} in $(( $(date +%s) - start ))s"
done
start=$(date +%s)
go build -trimpath -ldflags "-s -w" -o "$OUT_DIR/etcd.tmp" go.etcd.io/etcd/server/v3
mv "$OUT_DIR/etcd.tmp" "$OUT_DIR/etcd"
echo "built etcd ${ETCD_VERSION} in $(( $(date +%s) - start ))s"
