package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	adminUser = "hoist-admin"
	// nonAdminUser is authenticated but holds no RBAC rights.
	nonAdminUser = "hoist-user"
	// kwokNodeAnnotation marks the nodes kwok manages; kwokStatusAnnotation on a pod
	// template makes kwok leave its pods alone so they never become Ready (failed rollouts).
	kwokNodeAnnotation   = "kwok.x-k8s.io/node"
	kwokStatusAnnotation = "kwok.x-k8s.io/status"
)

func (s *starter) startEtcd(ctx context.Context) error {
	client, err := port("etcd", s.opts.Ports.Etcd)
	if err != nil {
		return err
	}
	peer, err := port("etcd", s.opts.Ports.EtcdPeer)
	if err != nil {
		return err
	}
	clientURL := "http://127.0.0.1:" + strconv.Itoa(client)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peer)
	p, err := s.launch("etcd", s.bin("etcd", EtcdVersion, "etcd"), []string{
		"--name=testenv",
		"--data-dir=" + s.path("data", "etcd"),
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=testenv=" + peerURL,
		"--unsafe-no-fsync", // test data: speed over durability
		"--quota-backend-bytes=4294967296",
		"--log-level=warn",
	}, nil)
	if err != nil {
		return err
	}
	s.etcdURL = clientURL
	return p.waitReady(ctx, s.opts.Timeout, httpReady(http.DefaultClient, clientURL+"/health", ""))
}

func (s *starter) startAPIServer(ctx context.Context) error {
	apiPort, err := port("kube-apiserver", s.opts.Ports.APIServer)
	if err != nil {
		return err
	}
	pki := func(f string) string { return s.path("pki", f) }
	if err := s.ca.issue("kube-apiserver", []string{"127.0.0.1", "localhost", "10.96.0.1", "kubernetes",
		"kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		pki("apiserver.crt"), pki("apiserver.key")); err != nil {
		return fmt.Errorf("kube-apiserver: issuing certificate: %w", err)
	}
	if err := writeServiceAccountKey(pki("sa.key"), pki("sa.pub")); err != nil {
		return fmt.Errorf("kube-apiserver: service-account key: %w", err)
	}
	s.adminToken = randomToken(24)
	userToken := randomToken(24)
	tokens := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n%s,%s,%s\n",
		s.adminToken, adminUser, adminUser, userToken, nonAdminUser, nonAdminUser)
	if err := os.WriteFile(pki("tokens.csv"), []byte(tokens), 0o600); err != nil {
		return err
	}
	s.env.APIServer = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	s.env.UserName = nonAdminUser
	s.env.AdminKubeconfig = s.path("admin.kubeconfig")
	s.env.UserKubeconfig = s.path("user.kubeconfig")
	if err := s.writeKubeconfig(s.env.AdminKubeconfig, adminUser, s.adminToken); err != nil {
		return err
	}
	if err := s.writeKubeconfig(s.env.UserKubeconfig, nonAdminUser, userToken); err != nil {
		return err
	}
	p, err := s.launch("kube-apiserver", s.bin("kube", KubeVersion, "kube-apiserver"), []string{
		"--etcd-servers=" + s.etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(apiPort),
		"--cert-dir=" + s.path("pki"),
		"--tls-cert-file=" + pki("apiserver.crt"),
		"--tls-private-key-file=" + pki("apiserver.key"),
		"--client-ca-file=" + pki("ca.crt"),
		"--token-auth-file=" + pki("tokens.csv"),
		"--service-account-key-file=" + pki("sa.pub"),
		"--service-account-signing-key-file=" + pki("sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--authorization-mode=RBAC",
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--event-ttl=15m",
	}, nil)
	if err != nil {
		return err
	}
	hc, err := s.httpsClient()
	if err != nil {
		return err
	}
	return p.waitReady(ctx, s.opts.Timeout, httpReady(hc, s.env.APIServer+"/readyz", s.adminToken))
}

func (s *starter) writeKubeconfig(path, user, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["hoist-testenv"] = &clientcmdapi.Cluster{Server: s.env.APIServer, CertificateAuthority: s.env.CAFile}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["hoist-testenv"] = &clientcmdapi.Context{Cluster: "hoist-testenv", AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = "hoist-testenv"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

// startControllers starts kube-controller-manager, kube-scheduler and kwok.
func (s *starter) startControllers(context.Context) error {
	kc := s.env.AdminKubeconfig
	if _, err := s.launch("kube-controller-manager", s.bin("kube", KubeVersion, "kube-controller-manager"), []string{
		"--kubeconfig=" + kc,
		"--controllers=*,-nodeipam,-service,-route,-cloud-node-lifecycle",
		"--root-ca-file=" + s.env.CAFile,
		"--service-account-private-key-file=" + s.path("pki", "sa.key"),
		"--leader-elect=false",
		"--secure-port=0",
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		"--concurrent-deployment-syncs=10",
		"--concurrent-replicaset-syncs=10",
		"--profiling=false",
	}, nil); err != nil {
		return err
	}
	if _, err := s.launch("kube-scheduler", s.bin("kube", KubeVersion, "kube-scheduler"), []string{
		"--kubeconfig=" + kc,
		"--leader-elect=false",
		"--secure-port=0",
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		"--profiling=false",
	}, nil); err != nil {
		return err
	}
	_, err := s.launch("kwok", s.bin("kwok", KwokVersion, "kwok"), []string{
		"--kubeconfig=" + kc,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=fake",
		"--disregard-status-with-annotation-selector=" + kwokStatusAnnotation + "=custom",
		"--node-lease-duration-seconds=40",
		"--cidr=10.244.0.1/16",
		"--node-ip=10.240.0.1",
	}, nil)
	return err
}

// waitCluster registers the simulated nodes and waits until they are Ready and
// untainted, and the controllers have made the default service account.
func (s *starter) waitCluster(ctx context.Context) error {
	cs, err := s.env.Clientset()
	if err != nil {
		return err
	}
	for i := range s.opts.Nodes {
		name := fmt.Sprintf("kwok-node-%d", i)
		if err := createNode(ctx, cs, name); err != nil {
			return &ComponentError{Component: "kwok", Err: fmt.Errorf("creating node %s: %w", name, err)}
		}
		s.env.Nodes = append(s.env.Nodes, name)
	}
	// Watch every component while waiting, so one that dies is named at once.
	check := func(ctx context.Context) (bool, error) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		ready := 0
		for _, n := range nodes.Items {
			if nodeReady(&n) {
				ready++
			}
		}
		if ready < s.opts.Nodes {
			return false, fmt.Errorf("%d of %d nodes Ready and untainted", ready, s.opts.Nodes)
		}
		if _, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
			return false, fmt.Errorf("default service account: %w", err)
		}
		return true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	var last error
	for {
		for _, p := range s.env.Processes {
			if gone, err := p.exited(); gone {
				return p.failure(fmt.Errorf("%w: %w", ErrExited, err))
			}
		}
		ok, err := check(ctx)
		if ok {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return &ComponentError{Component: "kwok", Log: s.path("logs", "kwok.log"),
				Err: fmt.Errorf("cluster not ready after %s: %w (see also logs/kube-controller-manager.log)", s.opts.Timeout, last)}
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
			return false
		}
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func createNode(ctx context.Context, cs kubernetes.Interface, name string) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("512Gi"),
		corev1.ResourcePods:   resource.MustParse("5000"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{kwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname": name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
			},
		},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion:  "v" + KubeVersion,
				OperatingSystem: "linux",
				Architecture:    "amd64",
			},
			Phase: corev1.NodeRunning,
		},
	}
	_, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (s *starter) httpsClient() (*http.Client, error) {
	pool := x509.NewCertPool()
	pool.AddCert(s.ca.cert)
	return &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

// httpReady is a readiness probe: GET url answers 2xx, or one of the accept codes.
func httpReady(c *http.Client, url, token string, accept ...int) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return true, nil
		}
		for _, a := range accept {
			if resp.StatusCode == a {
				return true, nil
			}
		}
		return false, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
}
