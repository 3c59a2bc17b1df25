// examples/coro/server_main.hpp - what the example servers share: N loops, each with its own
// SO_REUSEPORT listener on the same port (TCP, or TLS through serve_with), a "listening on
// ADDR:PORT" line, and a clean exit on SIGINT/SIGTERM.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <future>
#include <stdexcept>
#include <system_error>

#include <zsock/coro.hpp>
#include <zsock/loop_group.hpp>
#include <zsock/signal.hpp>

#include "cli.hpp"

namespace example {

using handler = std::function<zsock::task<void>(zsock::tcp_stream)>;

/// The accept loop of one event loop: each connection runs handle(stream) in the loop's scope.
/// Listener is tcp_listener or tls_listener, Stream what its accept() gives.
template <class Listener, class Stream>
zsock::task<void> accept_loop(Listener l, std::function<zsock::task<void>(Stream)> handle) {
    zsock::scope conns;
    for (;;) {
        auto s = co_await l.accept();
        if (!s) {
            if (s.error() == std::errc::operation_canceled) break;
            continue; // EMFILE and friends: the listener backs off by itself
        }
        conns.spawn(handle(std::move(*s)));
    }
    conns.cancel();
    co_await conns.join();
}

/// Binds with bind(endpoint, tcp_listener::options, loop) -> result<Listener>, prints the
/// address, serves on c.threads loops until SIGINT/SIGTERM. Returns the exit status.
template <class Listener, class Stream, class Bind>
int serve_with(const cli &c, const char *prog, Bind bind,
               std::function<zsock::task<void>(Stream)> handle) {
    // Signals first, so that one arriving during start-up is not lost. The main loop only waits
    // for them, so it runs on epoll whatever the serving loops use: an io_uring ring would reserve
    // its receive buffers for nothing (and under valgrind, which does not let other threads run
    // while one sits in io_uring_enter, it starved the serving loop).
    zsock::event_loop::options lo;
    lo.backend = c.backend;
    zsock::event_loop::options mo;
    mo.backend = zsock::backend::epoll;
    try {
        zsock::event_loop main_loop(mo);
        zsock::signal_set sigs{SIGINT, SIGTERM};

        auto ep = zsock::endpoint::from(c.bind, static_cast<uint16_t>(c.port));
        if (!ep) {
            std::fprintf(stderr, "%s: bad bind address '%s'\n", prog, c.bind.c_str());
            return 2;
        }
        zsock::tcp_listener::options opts;
        opts.reuse_port = true;
        // The first listener picks the port (0 = any); the other loops bind the same one.
        auto first = bind(*ep, opts, &main_loop);
        if (!first) {
            std::fprintf(stderr, "%s: cannot listen on %s: %s\n", prog, ep->to_string().c_str(),
                         first.error().message().c_str());
            return 1;
        }
        auto bound = first->local_endpoint().value();
        int first_fd = first->release(); // handed to loop 0 below

        zsock::loop_group::options go;
        go.loop = lo;
        zsock::loop_group group(c.threads, go);
        // Loop 0's thread announces the server before any loop runs, and the other loops wait
        // for that: under valgrind, a thread blocked in io_uring_enter keeps every other thread
        // from running, so a line printed after start() could wait forever, and whoever waits
        // for "listening on" with it.
        std::promise<void> announced;
        std::shared_future<void> announced_f = announced.get_future().share();
        group.start([&](zsock::event_loop &loop, unsigned i) -> zsock::task<void> {
            Listener l;
            if (i == 0) {
                try {
                    l = Listener::adopt(first_fd, &loop).value();
                } catch (...) {
                    announced.set_exception(std::current_exception()); // the others fail too
                    throw;
                }
                std::printf("listening on %s\n", bound.to_string().c_str());
                std::printf("backend %s\n", zsock::to_string(loop.backend()));
                std::fflush(stdout);
                announced.set_value();
            } else {
                // Loop 0 may fail to be built, before this entry could ever hear of it.
                if (announced_f.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
                    throw std::runtime_error("loop 0 did not start");
                announced_f.get();
                l = bind(bound, opts, &loop).value();
            }
            return accept_loop<Listener, Stream>(std::move(l), handle);
        });

        auto sig = zsock::sync_wait(main_loop, sigs.wait());
        if (sig) std::fprintf(stderr, "%s: signal %d, shutting down\n", prog, *sig);
        group.stop();
        group.join();
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s: %s\n", prog, e.what());
        return 1;
    }
}

/// Plain TCP: serve_with over tcp_listener.
inline int serve(const cli &c, const char *prog, handler handle) {
    auto bind = [](const zsock::endpoint &ep, const zsock::tcp_listener::options &o,
                   zsock::event_loop *loop) { return zsock::tcp_listener::bind(ep, o, loop); };
    return serve_with<zsock::tcp_listener, zsock::tcp_stream>(c, prog, bind, std::move(handle));
}

} // namespace example
