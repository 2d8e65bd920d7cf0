// lego-batch: the bare lego client (github.com/go-acme/lego/v5, library only) obtaining N
// certificates, each name + *.name over dns-01 with RFC 2136 updates (or, with -challenge=http-01,
// one name each, lego's webroot provider behind a static file server on a loopback port), P at a
// time, one account.
// It is the peer `make bench` compares acme6 with: what a cron job with a plain ACME client does.
// Built by hack/bench/build-lego.sh; the lego CLI itself needs modules the proxy may not serve.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/challenge/dns01"
	"github.com/go-acme/lego/v5/lego"
	"github.com/go-acme/lego/v5/providers/dns/dnsupdate"
	"github.com/go-acme/lego/v5/providers/http/webroot"
	"github.com/go-acme/lego/v5/registration"
)

type user struct {
	key          crypto.Signer
	registration *acme.ExtendedAccount
}

func (u *user) GetEmail() string                       { return "" }
func (u *user) GetRegistration() *acme.ExtendedAccount { return u.registration }
func (u *user) GetPrivateKey() crypto.Signer           { return u.key }

func main() {
	directory := flag.String("directory", "", "ACME directory URL")
	count := flag.Int("n", 1, "certificates to obtain")
	parallel := flag.Int("parallel", 1, "certificates obtained at once")
	prefix := flag.String("prefix", "lego", "names are <prefix>-<i>.<zone>")
	zone := flag.String("zone", "example.test", "DNS zone")
	nameserver := flag.String("nameserver", "", "RFC 2136 primary and propagation check server (host:port)")
	tsigKey := flag.String("tsig-key", "", "TSIG key name")
	tsigSecret := flag.String("tsig-secret", "", "TSIG secret (base64)")
	interval := flag.Duration("interval", dns01.DefaultPollingInterval, "propagation polling interval")
	// The RFC 2136 provider solves one challenge at a time, waiting this long between two (lego's default: 60 s).
	sequence := flag.Duration("sequence-interval", dns01.DefaultPropagationTimeout, "wait between two challenges of one order")
	challenge := flag.String("challenge", "dns-01", "dns-01 (name + *.name) or http-01 (name only)")
	httpPort := flag.String("http-port", "", "http-01: the loopback port lego serves challenges on (the port the CA dials)")
	webrootDir := flag.String("webroot", "", "http-01: the directory lego writes tokens to and the server serves")
	flag.Parse()

	dns01.SetDefaultClient(dns01.NewClient(&dns01.Options{
		RecursiveNameservers: []string{*nameserver},
		Timeout:              10 * time.Second,
	}))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err)
	u := &user{key: key}
	config := lego.NewConfig(u)
	config.CADirURL = *directory // the CA's TLS trust comes from LEGO_CA_CERTIFICATES
	config.UserAgent = "acme6-bench-lego"
	client, err := lego.NewClient(config)
	check(err)
	ctx := context.Background()
	u.registration, err = client.Registration.Register(ctx, registration.RegisterOptions{TermsOfServiceAgreed: true})
	check(err)

	switch *challenge {
	case "http-01":
		// lego's own http-01 server (http01.NewProviderServer) listens per challenge, so it serves one
		// order at a time; its webroot provider with a web server in front serves any number at once.
		listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", *httpPort))
		check(err)
		go func() { _ = http.Serve(listener, http.FileServer(http.Dir(*webrootDir))) }()
		provider, err := webroot.NewHTTPProvider(*webrootDir)
		check(err)
		check(client.Challenge.SetHTTP01Provider(provider))
	case "dns-01":
		providerConfig := dnsupdate.NewDefaultConfig()
		providerConfig.Nameserver = *nameserver
		providerConfig.Zones = []string{*zone}
		providerConfig.TSIGAlgorithm = "hmac-sha256."
		providerConfig.TSIGKey = *tsigKey
		providerConfig.TSIGSecret = *tsigSecret
		providerConfig.PollingInterval = *interval
		providerConfig.SequenceInterval = *sequence
		provider, err := dnsupdate.NewDNSProviderConfig(providerConfig)
		check(err)
		// The testbed's servers listen on loopback ports, not on their NS names' port 53: the check asks
		// the primary (as acme6's propagation.nameservers does) instead of the zone's NS records.
		check(client.Challenge.SetDNS01Provider(provider, dns01.DisableAuthoritativeNssPropagationRequirement()))
	default:
		check(fmt.Errorf("-challenge must be dns-01 or http-01, not %q", *challenge))
	}

	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for w := 0; w < *parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				name := fmt.Sprintf("%s-%d.%s", *prefix, i, *zone)
				domains := []string{name, "*." + name}
				if *challenge == "http-01" {
					domains = []string{name} // http-01 cannot validate a wildcard
				}
				_, err := client.Certificate.Obtain(ctx, certificate.ObtainRequest{
					Domains: domains,
					KeyType: certcrypto.EC256,
					Bundle:  true,
				})
				if err != nil {
					mu.Lock()
					failures++
					mu.Unlock()
					fmt.Fprintf(os.Stderr, "%s: %v\n", name, strings.TrimSpace(err.Error()))
				}
			}
		}()
	}
	for i := 0; i < *count; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	fmt.Printf("obtained %d of %d\n", *count-failures, *count)
	if failures > 0 {
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
