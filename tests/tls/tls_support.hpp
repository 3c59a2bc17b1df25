// tests/tls/tls_support.hpp - real peers for the TLS tests: certificates made at test time with
// the openssl command line, and openssl s_server / s_client run as child processes on loopback.
//
// The PKI (made once per test binary, in a temporary directory removed at exit):
//   ca.pem/ca.key            the trusted test CA (EC P-256)
//   server.pem/server.key    CN=localhost, SAN DNS:localhost + IP:127.0.0.1, signed by the CA
//   expired.pem/expired.key  the same names, notAfter one day before it was made
//   rogue_ca.pem, rogue.pem/rogue.key   a server certificate from a CA nobody trusts
//   client.pem/client.key    a client certificate signed by the CA (mutual TLS)
//   *.der                    DER forms of ca, server (certificate and key)
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>
#include <utility>
#include <vector>

#include <zsock/socket.h>
#include <zsock/tls_credentials.h>

namespace tls_test {

struct pki {
    std::string dir;
    std::string path(std::string_view name) const { return dir + "/" + std::string(name); }
    /// The file's bytes. PEM files come back with a trailing NUL counted (Zephyr's convention).
    std::string pem(std::string_view name) const;
    std::string der(std::string_view name) const;
};

/// The test PKI, made on first use. Fails the test (REQUIRE) when openssl is missing.
const pki &the_pki();

std::string read_file(const std::string &path);
void write_file(const std::string &path, std::string_view data);

/// Runs a shell command with its output discarded; true when it exits 0.
bool run_quiet(const std::string &cmd);

/// A child process (argv[0] looked up in PATH) whose stdout+stderr go to a file. Killed and
/// reaped by the destructor; every wait is bounded.
class child {
public:
    /// stdin_file: "" for a pipe that write_stdin() feeds, or a path to read stdin from.
    explicit child(std::vector<std::string> argv, std::string stdin_file = "");
    ~child();
    child(const child &) = delete;
    child &operator=(const child &) = delete;

    /// Waits until the output contains needle. False after timeout.
    bool wait_output(std::string_view needle,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    std::string output() const;
    void write_stdin(std::string_view data);
    void close_stdin();
    /// Waits for exit; returns the exit status, or -1 on timeout (the child is then killed).
    int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    std::string out_path_;
};

/// Writes data to a child's stdin pipe from a thread of its own: a pipe holds 64 KiB, and the
/// test's thread is busy reading what the child makes of it. join() waits for the last byte;
/// the destructor joins too, so a failed REQUIRE never leaves a joinable thread behind.
class stdin_feeder {
public:
    stdin_feeder(child &c, std::string data)
        : data_(std::move(data)), t_([&c, this] { c.write_stdin(data_); }) {}
    ~stdin_feeder() { join(); }
    stdin_feeder(const stdin_feeder &) = delete;
    stdin_feeder &operator=(const stdin_feeder &) = delete;
    void join() {
        if (t_.joinable()) t_.join();
    }

private:
    std::string data_;
    std::thread t_;
};

/// A loopback port that was free a moment ago (the kernel picked it).
uint16_t free_port(int type = SOCK_STREAM);

/// openssl s_server on 127.0.0.1:port with extra arguments; waits until it accepts.
struct s_server {
    uint16_t port;
    child proc;
    s_server(std::vector<std::string> args, std::string stdin_file = "", bool dtls = false);
};

/// Adds the standard credentials: tag 1 = CA (PEM), tag 2 = server cert+key (PEM),
/// tag 3 = CA (DER), tag 4 = server cert+key (DER), tag 5 = rogue server cert+key,
/// tag 6 = expired cert+key, tag 7 = PSK "zsock-id"/0x0102..10, tag 8 = client cert+key.
/// Idempotent.
void add_standard_credentials();
inline constexpr sec_tag_t tag_ca = 1, tag_server = 2, tag_ca_der = 3, tag_server_der = 4,
                           tag_rogue = 5, tag_expired = 6, tag_psk = 7, tag_client = 8;
inline constexpr const char *psk_hex = "0102030405060708090a0b0c0d0e0f10";
inline constexpr const char *psk_identity = "zsock-id";

/// A TLS 1.2 client socket with the given options, connected to 127.0.0.1:port.
/// Returns the fd, or -errno of the first call that failed.
int tls_client(uint16_t port, std::vector<sec_tag_t> tags, const char *hostname = "localhost",
               int extra_flags = 0);

/// A listening TLS server socket on 127.0.0.1 (kernel-chosen port), returned with its port.
int tls_listener(std::vector<sec_tag_t> tags, uint16_t *port, int extra_flags = 0);

/// Sends all of data (looping over short writes). True on success.
bool send_all(int fd, std::string_view data);
/// Receives until n bytes, EOF or error. Returns what arrived.
std::string recv_n(int fd, size_t n);
/// Receives until the peer's end of stream (recv 0) or an error.
std::string recv_all(int fd);

/// Whether the output of an openssl s_client/s_server run with -trace shows a close_notify alert
/// that it received (not one that it sent).
bool trace_received_close_notify(const std::string &trace);

/// FNV-1a 64 of a buffer, for big-transfer checksums.
uint64_t fnv1a(std::string_view data, uint64_t h = 1469598103934665603ull);

/// Deterministic pseudo-random bytes, all >= 0x80: openssl s_server/s_client treat some ASCII
/// letters at the start of what they read from stdin as commands (Q quits, R renegotiates...).
std::string random_bytes(size_t n, uint32_t seed = 1);

} // namespace tls_test
