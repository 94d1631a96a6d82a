// Errors raised by the Kiln client library.
//
// Every failed call throws a kiln::client::Error. Two kinds exist:
//  - ServiceError: the service answered with an HTTP error status. It carries
//    Azure's error code (e.g. "ContainerNotFound", "PoolExists"), its message,
//    the HTTP status and the request id to quote when asking for support.
//  - TransportError: no usable answer arrived (connection refused or reset,
//    TLS failure, timeout) even after the retry policy was exhausted.
#pragma once

#include <stdexcept>
#include <string>

namespace kiln::client {

// Base of every exception the library throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An HTTP error response from Blob Storage or Batch.
class ServiceError : public Error {
 public:
  ServiceError(int status, std::string code, std::string message, std::string request_id);

  int status() const { return status_; }                          // e.g. 404
  const std::string& code() const { return code_; }               // e.g. "BlobNotFound"; may be empty
  const std::string& message() const { return message_; }         // Azure's human-readable text
  const std::string& request_id() const { return request_id_; }   // x-ms-request-id / request-id

 private:
  int status_;
  std::string code_;
  std::string message_;
  std::string request_id_;
};

// The request could not be completed at the connection level.
class TransportError : public Error {
 public:
  using Error::Error;
};

}  // namespace kiln::client
