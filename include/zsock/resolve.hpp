// zsock/resolve.hpp - asynchronous name resolution.
//
//   auto eps = co_await zsock::resolve("localhost", "8080");
//   if (eps) for (auto &ep : *eps) ...
//
// getaddrinfo runs on a worker thread (zsock_getaddrinfo: the system resolver, /etc/hosts,
// nsswitch), and its answer is delivered back to the awaiting loop through an eventfd, so the
// loop never blocks. Cancelling the awaiter returns operation_canceled at once; the worker
// finishes on its own and its answer is dropped. Errors: zsock::errc::host_not_found,
// host_not_found_try_again, service_not_found, resolver_failed, or an errno (EAI_SYSTEM).
#pragma once

#include <string>
#include <vector>

#include <zsock/endpoint.hpp>
#include <zsock/result.hpp>
#include <zsock/task.hpp>

namespace zsock {

/// Resolves host/service for `socktype` (SOCK_STREAM, SOCK_DGRAM) in `family` (AF_UNSPEC: both).
/// An empty host means the loopback address; numeric hosts and services resolve without DNS.
ZSOCK_API task<result<std::vector<endpoint>>> resolve(std::string host, std::string service,
                                                      int family = AF_UNSPEC, int socktype = SOCK_STREAM);

} // namespace zsock
