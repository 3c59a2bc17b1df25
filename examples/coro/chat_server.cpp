// chat_server - a line-based chat room: every line a client sends goes to all the others.
//
//   chat_server --port 0 [--backend ...] [--idle SECONDS]
//
// One coroutine per client reads its lines; a second one per client writes its outbox, so a
// slow client never stalls the others (its outbox is capped: a client that falls 1000 lines
// behind is disconnected). A client silent for --idle seconds (default 300) is told so and
// disconnected. Runs on one loop; exits cleanly on SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <list>
#include <string>

#include <zsock/coro.hpp>

namespace {

constexpr std::size_t max_line = 4096;
constexpr std::size_t max_outbox = 1000;

struct client {
    zsock::tcp_stream stream;
    std::string name;
    std::deque<std::string> outbox;
    zsock::notifier wake;
    bool dropped = false;
};

struct room {
    std::list<client *> members;
    std::chrono::seconds idle{300};

    void broadcast(const client *from, const std::string &line) {
        for (client *c : members) {
            if (c == from || c->dropped) continue;
            if (c->outbox.size() >= max_outbox) {
                c->dropped = true; // too slow: its writer sees this and ends the session
            } else {
                c->outbox.push_back(line);
            }
            c->wake.notify();
        }
    }
};

zsock::task<void> writer(client &c) {
    for (;;) {
        while (c.outbox.empty() && !c.dropped) {
            auto woken = co_await c.wake.wait(); // not inside the if: GCC 12 miscompiles that
            if (!woken) co_return;               // cancelled: the reader ended
        }
        if (c.dropped) co_return;
        std::string line = std::move(c.outbox.front());
        c.outbox.pop_front();
        auto sent = co_await c.stream.send_all(line);
        if (!sent) co_return;
    }
}

zsock::task<void> reader(client &c, room &r) {
    std::string pending;
    char buf[1024];
    for (;;) {
        auto n = co_await c.stream.recv(buf, sizeof buf).with_timeout(r.idle);
        if (!n) {
            if (n.error() == std::errc::timed_out)
                (void)co_await c.stream.send_all("idle timeout, bye\n");
            co_return;
        }
        if (*n == 0) co_return;
        pending.append(buf, *n);
        std::size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
            r.broadcast(&c, c.name + ": " + pending.substr(0, nl + 1));
            pending.erase(0, nl + 1);
        }
        if (pending.size() > max_line) co_return; // a line too long: drop the client
    }
}

zsock::task<void> session(zsock::tcp_stream s, room &r) {
    client c;
    c.stream = std::move(s);
    auto peer = c.stream.remote_endpoint();
    c.name = peer ? peer->to_string() : "?";
    r.members.push_back(&c);
    auto it = std::prev(r.members.end());
    r.broadcast(&c, c.name + " joined\n");
    // Whichever ends first (the reader at EOF/idle, the writer on error or when dropped) ends
    // the session; when_any cancels and awaits the other.
    (void)co_await zsock::when_any(reader(c, r), writer(c));
    r.members.erase(it);
    r.broadcast(&c, c.name + " left\n");
}

zsock::task<void> serve(zsock::tcp_listener l, room &r) {
    zsock::scope sessions;
    for (;;) {
        auto s = co_await l.accept();
        if (!s) {
            if (s.error() == std::errc::operation_canceled) break;
            continue;
        }
        sessions.spawn(session(std::move(*s), r));
    }
    sessions.cancel();
    co_await sessions.join();
}

} // namespace

int main(int argc, char **argv) {
    int port = 0;
    long idle = 300;
    zsock::event_loop::options lo;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--port")
            port = std::atoi(argv[i + 1]);
        else if (a == "--idle")
            idle = std::atol(argv[i + 1]);
        else if (a == "--backend") {
            if (!zsock::parse_backend(argv[i + 1], &lo.backend)) port = -1;
        } else
            port = -1;
    }
    if (port < 0 || port > 65535 || idle <= 0) {
        std::fprintf(stderr,
                     "usage: %s [--port N] [--backend auto|epoll|io_uring] [--idle SECONDS]\n",
                     argv[0]);
        return 2;
    }
    try {
        zsock::event_loop loop(lo);
        zsock::signal_set sigs{SIGINT, SIGTERM};
        auto l =
            zsock::tcp_listener::bind(zsock::endpoint::loopback_v4(static_cast<uint16_t>(port)));
        if (!l) {
            std::fprintf(stderr, "%s: listen: %s\n", argv[0], l.error().message().c_str());
            return 1;
        }
        std::printf("listening on %s\n", l->local_endpoint().value().to_string().c_str());
        std::fflush(stdout);
        room r;
        r.idle = std::chrono::seconds(idle);
        (void)zsock::sync_wait(loop, zsock::when_any(serve(std::move(*l), r), sigs.wait()));
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 1;
    }
}
