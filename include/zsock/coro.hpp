// zsock/coro.hpp - everything of the coroutine API in one include.
#pragma once

#include <zsock/cancellation.hpp>
#include <zsock/endpoint.hpp>
#include <zsock/error.hpp>
#include <zsock/event_loop.hpp>
#include <zsock/loop_group.hpp>
#include <zsock/notifier.hpp>
#include <zsock/resolve.hpp>
#include <zsock/result.hpp>
#include <zsock/scope.hpp>
#include <zsock/signal.hpp>
#include <zsock/sync_wait.hpp>
#include <zsock/task.hpp>
#include <zsock/tcp.hpp>
#include <zsock/timer.hpp>
#include <zsock/tls_listener.hpp>
#include <zsock/tls_stream.hpp>
#include <zsock/udp.hpp>
#include <zsock/wait.hpp>
#include <zsock/when_all.hpp>
#include <zsock/when_any.hpp>
