// zsock/when_all.hpp - run tasks concurrently and wait for all of them.
//
//   auto [a, b] = co_await zsock::when_all(fetch(x), fetch(y));
//   std::vector<int> all = co_await zsock::when_all(std::move(tasks));
//
// The children run concurrently on the awaiter's loop, each in a chain of its own. The result
// holds their values in order (std::monostate for task<void>). If a child throws, the others are
// cancelled (fail fast), when_all still waits for all of them, then rethrows the first
// exception. Cancelling the awaiter's chain cancels every child.
#pragma once

#include <array>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <zsock/detail/fork.hpp>
#include <zsock/task.hpp>

namespace zsock {

namespace detail {

template <class T>
using value_or_monostate = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
struct slot_sink {
    std::optional<value_or_monostate<T>> *slot;
    fork_base *fork;
    std::exception_ptr *error;
    std::size_t index;
    template <class... U>
    void set_value(U &&...v) {
        slot->emplace(std::forward<U>(v)...);
        fork->child_finished(index, false);
    }
    void set_error(std::exception_ptr e) noexcept {
        if (fork->child_finished(index, true)) *error = std::move(e);
    }
};

template <std::size_t N>
class array_fork : public fork_base {
public:
    array_fork(bool any) noexcept : fork_base(kids_storage_.data(), N, any) {}
    std::array<root_task::promise_type *, N> kids_storage_{};
};

class vector_fork : public fork_base {
public:
    vector_fork(std::vector<root_task::promise_type *> &kids, bool any) noexcept
        : fork_base(kids.data(), kids.size(), any) {}
};

template <class... Ts, std::size_t... I>
task<std::tuple<value_or_monostate<Ts>...>> when_all_impl(std::index_sequence<I...>, task<Ts>... ts) {
    std::tuple<std::optional<value_or_monostate<Ts>>...> slots;
    std::exception_ptr error;
    array_fork<sizeof...(Ts)> fork(false);
    std::tuple<slot_sink<Ts>...> sinks{slot_sink<Ts>{&std::get<I>(slots), &fork, &error, I}...};
    ((fork.kids_storage_[I] = &drive(std::move(ts), &std::get<I>(sinks)).h.promise()), ...);
    co_await fork;
    if (error) std::rethrow_exception(error);
    co_return std::tuple<value_or_monostate<Ts>...>(std::move(*std::get<I>(slots))...);
}

} // namespace detail

/// Awaits every task; a tuple of their values (std::monostate for task<void>).
template <class... Ts>
task<std::tuple<detail::value_or_monostate<Ts>...>> when_all(task<Ts>... ts) {
    return detail::when_all_impl(std::index_sequence_for<Ts...>{}, std::move(ts)...);
}

/// Awaits every task of the vector; their values in order.
template <class T>
task<std::vector<detail::value_or_monostate<T>>> when_all(std::vector<task<T>> ts) {
    const std::size_t n = ts.size();
    std::vector<std::optional<detail::value_or_monostate<T>>> slots(n);
    std::vector<detail::root_task::promise_type *> kids(n);
    std::exception_ptr error;
    detail::vector_fork fork(kids, false);
    std::vector<detail::slot_sink<T>> sinks;
    sinks.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        sinks.push_back(detail::slot_sink<T>{&slots[i], &fork, &error, i});
        kids[i] = &detail::drive(std::move(ts[i]), &sinks[i]).h.promise();
    }
    co_await fork;
    if (error) std::rethrow_exception(error);
    std::vector<detail::value_or_monostate<T>> out;
    out.reserve(n);
    for (auto &s : slots) out.push_back(std::move(*s));
    co_return out;
}

} // namespace zsock
