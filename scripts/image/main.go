// Command image builds regdoctor's container image as an OCI image layout,
// without a daemon: `make image` builds the static binary and runs this.
// The image is reproducible: the same binary, CA bundle and time give the
// same digest, and make passes the commit's time.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func main() {
	var s spec
	var out, epoch string
	flag.StringVar(&s.Binary, "binary", "bin/image/regdoctor", "the static regdoctor binary (CGO_ENABLED=0)")
	flag.StringVar(&s.CABundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle to put in the image")
	flag.StringVar(&out, "out", "bin/image/oci", "the OCI image layout directory to write (replaced)")
	flag.StringVar(&s.Version, "version", "dev", "the image's version label")
	flag.StringVar(&s.Revision, "revision", "", "the commit, for the revision label")
	flag.StringVar(&s.Arch, "arch", runtime.GOARCH, "the GOARCH the binary was built for")
	flag.StringVar(&s.Tag, "tag", "", "the ref.name annotation in index.json")
	flag.StringVar(&epoch, "created", os.Getenv("SOURCE_DATE_EPOCH"), "every timestamp in the image, in seconds since 1970 (default $SOURCE_DATE_EPOCH, else 0)")
	flag.Parse()
	if epoch != "" {
		n, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "image: -created %q: not seconds since 1970\n", epoch)
			os.Exit(2)
		}
		s.Created = time.Unix(n, 0).UTC()
	} else {
		s.Created = time.Unix(0, 0).UTC()
	}
	d, err := build(s, out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	fmt.Printf("%s %s\n", out, d)
}
