// coro/resolve.cpp - getaddrinfo on a worker thread, delivered through an eventfd.
#include <zsock/resolve.hpp>

#include <atomic>
#include <memory>
#include <sys/eventfd.h>
#include <thread>

#include <zsock/tcp.hpp>

#include "core/io_engine.hpp"
#include "core/sys.hpp"
#include "coro/poll_awaiter.hpp"

namespace zsock {
namespace {

// Shared by the awaiting coroutine and the worker; whichever lets go last closes the eventfd.
struct resolve_job {
    std::string host, service;
    int family = AF_UNSPEC, socktype = SOCK_STREAM;
    int efd = -1;
    std::vector<endpoint> out;
    int gai = 0;
    int sys_errno = 0;
    std::atomic<bool> done{false};
    ~resolve_job() {
        if (efd >= 0) sys::close(efd);
    }
};

void run_job(const std::shared_ptr<resolve_job> &job) {
    zsock_addrinfo hints{};
    hints.ai_family = job->family;
    hints.ai_socktype = job->socktype;
    hints.ai_flags = AI_ADDRCONFIG;
    zsock_addrinfo *res = nullptr;
    const char *host = job->host.empty() ? nullptr : job->host.c_str();
    const char *service = job->service.empty() ? nullptr : job->service.c_str();
    int r = zsock_getaddrinfo(host, service, &hints, &res);
    if (r == EAI_SYSTEM) job->sys_errno = errno;
    if (r == 0) {
        try {
            for (auto *ai = res; ai; ai = ai->ai_next) job->out.emplace_back(ai->ai_addr, ai->ai_addrlen);
        } catch (...) {
            r = EAI_MEMORY;
        }
        zsock_freeaddrinfo(res);
    }
    job->gai = r;
    job->done.store(true, std::memory_order_release);
    uint64_t one = 1;
    sys::write(job->efd, &one, sizeof one);
}

std::error_code gai_error(int gai, int sys_errno) {
    switch (gai) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
        return errc::host_not_found;
    case EAI_AGAIN: return errc::host_not_found_try_again;
    case EAI_SERVICE: return errc::service_not_found;
    case EAI_MEMORY: return std::make_error_code(std::errc::not_enough_memory);
    case EAI_SYSTEM: return std::error_code(sys_errno ? sys_errno : EIO, std::system_category());
    default: return errc::resolver_failed;
    }
}

} // namespace

task<result<std::vector<endpoint>>> resolve(std::string host, std::string service, int family, int socktype) {
    auto job = std::make_shared<resolve_job>();
    job->host = std::move(host);
    job->service = std::move(service);
    job->family = family;
    job->socktype = socktype;
    long fd = sys::eventfd2(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) co_return detail::errno_code(fd);
    job->efd = static_cast<int>(fd);

    core::io_desc *desc = nullptr;
    int a = detail::attach_fd(detail::current_engine(), job->efd, 0, &desc);
    if (a < 0) co_return detail::errno_code(a);
    struct detach_guard {
        core::io_desc *d;
        ~detach_guard() { d->engine->detach(d); } // the job closes the fd
    } guard{desc};

    try {
        std::thread([job] { run_job(job); }).detach();
    } catch (const std::system_error &e) {
        co_return e.code();
    }
    while (!job->done.load(std::memory_order_acquire)) {
        long r = co_await detail::poll_awaiter(desc, POLLIN);
        if (r < 0) co_return detail::errno_code(r); // cancelled: the worker finishes alone
    }
    if (job->gai != 0) co_return gai_error(job->gai, job->sys_errno);
    co_return std::move(job->out);
}

} // namespace zsock
