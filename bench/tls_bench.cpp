// bench/tls_bench.cpp - the cost of zsock's TLS layer: handshakes per second and bulk MB/s over
// loopback with ECDHE-ECDSA-AES128-GCM-SHA256, next to raw mbedTLS driving kernel sockets
// directly (the same library, configuration and suite), measured in the same run.
//
//   tls_bench [--runs N] [--seconds S] [--mib M] [--json]
//
// Each run measures the four cases in turn (server on one thread, client on another, pinned to
// different CPUs when there are two); the table shows the median of the runs and zsock's ratio to
// raw. Certificates come from the openssl command line into a temporary directory.
#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <fmt/core.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <zsock/posix.h>

namespace {

using clk = std::chrono::steady_clock;
constexpr int suite = 0xC02B; // TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256
const int suites[] = {suite, 0};

std::string g_dir;
std::string read_file(const std::string &p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

bool make_certs() {
    char tmpl[] = "/tmp/zsock-tls-bench-XXXXXX";
    if (!mkdtemp(tmpl)) return false;
    g_dir = tmpl;
    std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    std::string cmd = "cd " + g_dir + " && openssl req -x509 " + ec +
                      " -keyout ca.key -out ca.pem -days 30 -subj /CN=bench-ca >/dev/null 2>&1 && "
                      "openssl req " +
                      ec +
                      " -keyout s.key -out s.csr -subj /CN=localhost >/dev/null 2>&1 && "
                      "printf 'subjectAltName=DNS:localhost\\n' > ext && "
                      "openssl x509 -req -in s.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 30 "
                      "-extfile ext -out s.pem >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

void pin(int cpu) {
    unsigned n = std::thread::hardware_concurrency();
    if (n < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(cpu) % n, &set);
    sched_setaffinity(0, sizeof set, &set);
}

// Both sides of both cases run with TCP_NODELAY: mbedTLS writes each handshake message on its
// own, and Nagle plus delayed ACKs would otherwise make every handshake wait ~40 ms twice.
void nodelay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

sockaddr_in loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// ---- raw mbedTLS over kernel sockets
// --------------------------------------------------------------

struct raw_env {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca, cert;
    mbedtls_pk_context key;
    mbedtls_ssl_config srv, cli;
    raw_env() {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0);
        mbedtls_x509_crt_init(&ca);
        mbedtls_x509_crt_init(&cert);
        mbedtls_pk_init(&key);
        std::string a = read_file(g_dir + "/ca.pem"), c = read_file(g_dir + "/s.pem"),
                    k = read_file(g_dir + "/s.key");
        mbedtls_x509_crt_parse(&ca, reinterpret_cast<const unsigned char *>(a.c_str()),
                               a.size() + 1);
        mbedtls_x509_crt_parse(&cert, reinterpret_cast<const unsigned char *>(c.c_str()),
                               c.size() + 1);
        mbedtls_pk_parse_key(&key, reinterpret_cast<const unsigned char *>(k.c_str()), k.size() + 1,
                             nullptr, 0);
        for (auto [conf, ep] :
             {std::pair{&srv, MBEDTLS_SSL_IS_SERVER}, std::pair{&cli, MBEDTLS_SSL_IS_CLIENT}}) {
            mbedtls_ssl_config_init(conf);
            mbedtls_ssl_config_defaults(conf, ep, MBEDTLS_SSL_TRANSPORT_STREAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT);
            mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &drbg);
            mbedtls_ssl_conf_ciphersuites(conf, suites);
            mbedtls_ssl_conf_session_tickets(conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
        }
        mbedtls_ssl_conf_own_cert(&srv, &cert, &key);
        mbedtls_ssl_conf_ca_chain(&cli, &ca, nullptr);
        mbedtls_ssl_conf_authmode(&cli, MBEDTLS_SSL_VERIFY_REQUIRED);
    }
    ~raw_env() {
        mbedtls_ssl_config_free(&cli);
        mbedtls_ssl_config_free(&srv);
        mbedtls_pk_free(&key);
        mbedtls_x509_crt_free(&cert);
        mbedtls_x509_crt_free(&ca);
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
    }
    raw_env(const raw_env &) = delete;
    raw_env &operator=(const raw_env &) = delete;
};

int raw_send(void *ctx, const unsigned char *b, size_t n) {
    ssize_t r = ::send(*static_cast<int *>(ctx), b, n, MSG_NOSIGNAL);
    return r < 0 ? MBEDTLS_ERR_SSL_INTERNAL_ERROR : static_cast<int>(r);
}
int raw_recv(void *ctx, unsigned char *b, size_t n) {
    ssize_t r = ::recv(*static_cast<int *>(ctx), b, n, 0);
    return r < 0 ? MBEDTLS_ERR_SSL_INTERNAL_ERROR : static_cast<int>(r);
}

struct raw_conn {
    int fd;
    mbedtls_ssl_context ssl;
    raw_conn(int f, const mbedtls_ssl_config *conf, bool client) : fd(f) {
        nodelay(fd);
        mbedtls_ssl_init(&ssl);
        mbedtls_ssl_setup(&ssl, conf);
        if (client) mbedtls_ssl_set_hostname(&ssl, "localhost");
        mbedtls_ssl_set_bio(&ssl, &fd, raw_send, raw_recv, nullptr);
    }
    ~raw_conn() {
        mbedtls_ssl_close_notify(&ssl);
        mbedtls_ssl_free(&ssl);
        ::close(fd);
    }
    bool handshake() { return mbedtls_ssl_handshake(&ssl) == 0; }
};

int kernel_listener(uint16_t *port) {
    int l = ::socket(AF_INET, SOCK_STREAM, 0);
    nodelay(l);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    ::bind(l, reinterpret_cast<sockaddr *>(&a), sizeof a);
    ::listen(l, 128);
    getsockname(l, reinterpret_cast<sockaddr *>(&a), &len);
    *port = ntohs(a.sin_port);
    return l;
}

// ---- zsock
// ---------------------------------------------------------------------------------------

constexpr sec_tag_t tag_ca = 1, tag_srv = 2;

int zsock_listener(uint16_t *port) {
    int l = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
    nodelay(l); // inherited by accepted sockets
    sec_tag_t t = tag_srv;
    int one = 1;
    zsock_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    zsock_setsockopt(l, SOL_TLS, TLS_SEC_TAG_LIST, &t, sizeof t);
    zsock_setsockopt(l, SOL_TLS, TLS_CIPHERSUITE_LIST, &suite, sizeof suite);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    zsock_bind(l, reinterpret_cast<sockaddr *>(&a), sizeof a);
    zsock_listen(l, 128);
    zsock_getsockname(l, reinterpret_cast<sockaddr *>(&a), &len);
    *port = ntohs(a.sin_port);
    return l;
}

int zsock_client(uint16_t port) {
    int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
    nodelay(fd); // a TLS socket's number is its TCP socket: the kernel option applies directly
    sec_tag_t t = tag_ca;
    zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &t, sizeof t);
    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10);
    zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, &suite, sizeof suite);
    sockaddr_in a = loopback(port);
    if (zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
        zsock_close(fd);
        return -1;
    }
    return fd;
}

// ---- the four measurements
// -------------------------------------------------------------------------

double handshakes_zsock(double seconds) {
    uint16_t port;
    int l = zsock_listener(&port);
    std::atomic<bool> stop{false};
    std::thread srv([&] {
        pin(0);
        for (;;) {
            int s = zsock_accept(l, nullptr, nullptr);
            if (stop) { // the connection that woke us up at the end
                if (s >= 0) zsock_close(s);
                break;
            }
            if (s < 0) continue;
            char b;
            zsock_recv(s, &b, 1, 0); // the client's close_notify
            zsock_close(s);
        }
    });
    pin(1);
    long n = 0;
    auto t0 = clk::now();
    auto end =
        t0 + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(seconds));
    while (clk::now() < end) {
        int c = zsock_client(port);
        if (c < 0) break;
        zsock_close(c);
        ++n;
    }
    double el = std::chrono::duration<double>(clk::now() - t0).count();
    stop = true;
    zsock_close(zsock_client(port)); // unblocks the accept
    srv.join();
    zsock_close(l);
    return n / el;
}

double handshakes_raw(raw_env &env, double seconds) {
    uint16_t port;
    int l = kernel_listener(&port);
    std::atomic<bool> stop{false};
    std::thread srv([&] {
        pin(0);
        for (;;) {
            int s = ::accept(l, nullptr, nullptr);
            if (stop) {
                if (s >= 0) ::close(s);
                break;
            }
            if (s < 0) continue;
            raw_conn c(s, &env.srv, false);
            if (c.handshake()) {
                unsigned char b;
                mbedtls_ssl_read(&c.ssl, &b, 1);
            }
        }
    });
    pin(1);
    long n = 0;
    auto t0 = clk::now();
    auto end =
        t0 + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(seconds));
    auto one = [&] {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a = loopback(port);
        if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) return false;
        raw_conn c(fd, &env.cli, true);
        return c.handshake();
    };
    while (clk::now() < end) {
        if (!one()) break;
        ++n;
    }
    double el = std::chrono::duration<double>(clk::now() - t0).count();
    stop = true;
    one();
    srv.join();
    ::close(l);
    return n / el;
}

double bulk_zsock(size_t bytes) {
    uint16_t port;
    int l = zsock_listener(&port);
    std::thread srv([&] {
        pin(0);
        int s = zsock_accept(l, nullptr, nullptr);
        std::vector<char> buf(16384);
        while (zsock_recv(s, buf.data(), buf.size(), 0) > 0) {
        }
        zsock_close(s);
    });
    pin(1);
    int c = zsock_client(port);
    std::vector<char> chunk(16384, 'x');
    auto t0 = clk::now();
    size_t sent = 0;
    while (sent < bytes) {
        ssize_t r = zsock_send(c, chunk.data(), chunk.size(), 0);
        if (r <= 0) break;
        sent += static_cast<size_t>(r);
    }
    zsock_close(c);
    srv.join();
    double el = std::chrono::duration<double>(clk::now() - t0).count();
    zsock_close(l);
    return sent / el / 1e6;
}

double bulk_raw(raw_env &env, size_t bytes) {
    uint16_t port;
    int l = kernel_listener(&port);
    std::thread srv([&] {
        pin(0);
        raw_conn s(::accept(l, nullptr, nullptr), &env.srv, false);
        if (!s.handshake()) return;
        std::vector<unsigned char> buf(16384);
        while (mbedtls_ssl_read(&s.ssl, buf.data(), buf.size()) > 0) {
        }
    });
    pin(1);
    double mbps = 0;
    {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a = loopback(port);
        ::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
        raw_conn c(fd, &env.cli, true);
        c.handshake();
        std::vector<unsigned char> chunk(16384, 'x');
        auto t0 = clk::now();
        size_t sent = 0;
        while (sent < bytes) {
            int r = mbedtls_ssl_write(&c.ssl, chunk.data(), chunk.size());
            if (r <= 0) break;
            sent += static_cast<size_t>(r);
        }
        mbedtls_ssl_close_notify(&c.ssl);
        srv.join();
        mbps = sent / std::chrono::duration<double>(clk::now() - t0).count() / 1e6;
    }
    ::close(l);
    return mbps;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

void usage(std::FILE *to) {
    fmt::print(to, "usage: tls_bench [--runs N] [--seconds S] [--mib M] [--json]\n"
                   "  --runs N      repetitions, each measuring all four cases (default 5)\n"
                   "  --seconds S   handshake measurement per case and run (default 1)\n"
                   "  --mib M       bulk transfer per case and run, in MiB (default 256)\n"
                   "  --json        one JSON line (every run and the medians) instead of the "
                   "table\n");
}

int main(int argc, char **argv) {
    int runs = 5;
    double seconds = 1.0;
    size_t mib = 256;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        }
        if (a == "--json") {
            json = true;
            continue;
        }
        if (i + 1 >= argc || (a != "--runs" && a != "--seconds" && a != "--mib")) {
            fmt::print(stderr, "tls_bench: bad argument '{}'\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        char *end = nullptr;
        double x = std::strtod(v, &end);
        if (!end || *end || !(x > 0)) {
            fmt::print(stderr, "tls_bench: bad value '{}' for {}\n", v, a);
            return 2;
        }
        if (a == "--runs")
            runs = static_cast<int>(x);
        else if (a == "--seconds")
            seconds = x;
        else
            mib = static_cast<size_t>(x);
    }
    runs = std::max(runs, 1);
    mib = std::max<size_t>(mib, 1);
    if (!make_certs()) {
        fmt::print(stderr, "tls_bench: openssl failed to make certificates\n");
        return 1;
    }
    std::string ca = read_file(g_dir + "/ca.pem"), cert = read_file(g_dir + "/s.pem"),
                key = read_file(g_dir + "/s.key");
    zsock_tls_credential_add(tag_ca, TLS_CREDENTIAL_CA_CERTIFICATE, ca.c_str(), ca.size() + 1);
    zsock_tls_credential_add(tag_srv, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, cert.c_str(),
                             cert.size() + 1);
    zsock_tls_credential_add(tag_srv, TLS_CREDENTIAL_PRIVATE_KEY, key.c_str(), key.size() + 1);
    raw_env env;

    std::vector<double> hz, hr, bz, br;
    for (int r = 0; r < runs; ++r) {
        hr.push_back(handshakes_raw(env, seconds));
        hz.push_back(handshakes_zsock(seconds));
        br.push_back(bulk_raw(env, mib << 20));
        bz.push_back(bulk_zsock(mib << 20));
        fmt::print(stderr,
                   "run {}: handshakes/s raw {:.0f} zsock {:.0f}; MB/s raw {:.0f} zsock {:.0f}\n",
                   r + 1, hr.back(), hz.back(), br.back(), bz.back());
    }
    if (json) {
        auto list = [](const std::vector<double> &v) {
            std::string out = "[";
            for (std::size_t i = 0; i < v.size(); ++i)
                out += fmt::format("{}{:.1f}", i ? "," : "", v[i]);
            return out + "]";
        };
        fmt::print("{{\"suite\":\"ECDHE-ECDSA-AES128-GCM-SHA256\",\"runs\":{},"
                   "\"handshakes_per_s\":{{\"raw\":{},\"zsock\":{},\"median_raw\":{:.1f},"
                   "\"median_zsock\":{:.1f}}},\"bulk_mb_per_s\":{{\"raw\":{},\"zsock\":{},"
                   "\"median_raw\":{:.1f},\"median_zsock\":{:.1f}}}}}\n",
                   runs, list(hr), list(hz), median(hr), median(hz), list(br), list(bz),
                   median(br), median(bz));
        std::system(("rm -rf " + g_dir).c_str());
        return 0;
    }
    fmt::print("TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256, P-256, loopback; median of {} runs\n",
               runs);
    fmt::print("{:<22} {:>12} {:>12} {:>12}\n", "", "raw mbedTLS", "zsock TLS", "zsock/raw");
    fmt::print("{:<22} {:>12.0f} {:>12.0f} {:>12.3f}\n", "handshakes/s", median(hr), median(hz),
               median(hz) / median(hr));
    fmt::print("{:<22} {:>12.0f} {:>12.0f} {:>12.3f}\n", "bulk MB/s (16 KiB)", median(br),
               median(bz), median(bz) / median(br));
    std::system(("rm -rf " + g_dir).c_str());
    return 0;
}
