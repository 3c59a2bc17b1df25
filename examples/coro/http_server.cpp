// http_server - HTTP/1.1 with keep-alive and pipelining; GET / answers "Hello, World!"
// (TechEmpower plaintext style). Same command line as echo_server (without --tls).
//
// One coroutine per connection reads what arrived, answers every complete request in it (a
// pipelined batch gets one send), and keeps the connection until the client closes it or asks
// for Connection: close. Per request nothing is allocated: the input buffer lives in the frame,
// the output string is reserved once per connection.
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

#include "server_main.hpp"

namespace {

/// The Date header value, formatted at most once per second per thread.
std::string_view http_date() {
    thread_local char buf[64];
    thread_local std::time_t last = 0;
    std::time_t now = std::time(nullptr);
    if (now != last) {
        last = now;
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    }
    return buf;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::string_view trim(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
}

void respond(std::string &out, int status, std::string_view reason, std::string_view body, bool head,
             bool close) {
    char line[64];
    int n = std::snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
    out.append(line, static_cast<std::size_t>(n));
    out.append(reason);
    out.append("\r\nServer: zsock\r\nDate: ");
    out.append(http_date());
    out.append("\r\nContent-Type: text/plain\r\nContent-Length: ");
    n = std::snprintf(line, sizeof line, "%zu", body.size());
    out.append(line, static_cast<std::size_t>(n));
    if (close) out.append("\r\nConnection: close");
    out.append("\r\n\r\n");
    if (!head) out.append(body);
}

enum class parsed { incomplete, done, bad };

/// Parses one request at the start of `in` and appends its response. *used: bytes consumed.
parsed handle_one(std::string_view in, std::string &out, std::size_t *used, bool *close) {
    std::size_t end = in.find("\r\n\r\n");
    if (end == std::string_view::npos) return parsed::incomplete;
    std::string_view head = in.substr(0, end);
    std::size_t eol = head.find("\r\n");
    std::string_view request_line = head.substr(0, eol);
    std::size_t sp1 = request_line.find(' ');
    std::size_t sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return parsed::bad;
    std::string_view method = request_line.substr(0, sp1);
    std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = request_line.substr(sp2 + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return parsed::bad;
    bool keep_alive = version == "HTTP/1.1";
    std::size_t content_length = 0;
    std::string_view headers = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
    while (!headers.empty()) {
        std::size_t e = headers.find("\r\n");
        std::string_view h = headers.substr(0, e);
        headers = e == std::string_view::npos ? std::string_view() : headers.substr(e + 2);
        std::size_t colon = h.find(':');
        if (colon == std::string_view::npos) return parsed::bad;
        std::string_view name = h.substr(0, colon), value = trim(h.substr(colon + 1));
        if (iequals(name, "connection")) {
            if (iequals(value, "close")) keep_alive = false;
            else if (iequals(value, "keep-alive")) keep_alive = true;
        } else if (iequals(name, "content-length")) {
            content_length = 0;
            for (char ch : value) {
                if (ch < '0' || ch > '9' || content_length > (1u << 20)) return parsed::bad;
                content_length = content_length * 10 + static_cast<std::size_t>(ch - '0');
            }
        } else if (iequals(name, "transfer-encoding")) {
            return parsed::bad; // chunked request bodies are not supported by this example
        }
    }
    if (in.size() < end + 4 + content_length) return parsed::incomplete;
    *used = end + 4 + content_length;
    *close = !keep_alive;
    bool is_head = method == "HEAD";
    if (method != "GET" && !is_head) {
        respond(out, 405, "Method Not Allowed", "Method Not Allowed", false, *close);
    } else if (target == "/" || target == "/plaintext") {
        respond(out, 200, "OK", "Hello, World!", is_head, *close);
    } else {
        respond(out, 404, "Not Found", "Not Found", is_head, *close);
    }
    return parsed::done;
}

zsock::task<void> http(zsock::tcp_stream s) {
    s.set_nodelay(true);
    char in[8192];
    std::size_t have = 0;
    std::string out;
    out.reserve(4096);
    for (;;) {
        auto n = co_await s.recv(in + have, sizeof in - have);
        if (!n || *n == 0) co_return;
        have += *n;
        std::size_t pos = 0;
        bool close = false, bad = false;
        out.clear();
        while (!close) {
            std::size_t used = 0;
            parsed p = handle_one(std::string_view(in + pos, have - pos), out, &used, &close);
            if (p == parsed::incomplete) break;
            if (p == parsed::bad) {
                respond(out, 400, "Bad Request", "Bad Request", false, true);
                bad = close = true;
                break;
            }
            pos += used;
        }
        if (!close && pos == 0 && have == sizeof in) { // a request larger than the buffer
            respond(out, 431, "Request Header Fields Too Large", "Too Large", false, true);
            close = bad = true;
        }
        if (!out.empty() && !(co_await s.send_all(out))) co_return;
        if (close) {
            s.shutdown(SHUT_WR);
            co_return;
        }
        std::memmove(in, in + pos, have - pos);
        have -= pos;
    }
}

} // namespace

int main(int argc, char **argv) {
    example::cli c = example::parse(argc, argv, false);
    return example::serve(c, argv[0], http);
}
