// A self-signed development certificate for HTTPS on loopback, valid for
// localhost, *.localhost, *.blob.localhost, *.blob.core.localhost and 127.0.0.1,
// so SDK host-style URLs work over TLS without a public CA.
#pragma once

#include <string>

namespace kiln::server {

struct CertificateFiles {
  std::string cert_file;  // PEM certificate (also the CA clients trust)
  std::string key_file;   // PEM private key
};

// Returns the certificate in `dir`, creating it (and its key) when missing or expired.
CertificateFiles ensure_dev_certificate(const std::string& dir);

}  // namespace kiln::server
