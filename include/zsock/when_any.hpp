// zsock/when_any.hpp - run tasks concurrently; the first to finish wins, the others are cancelled.
//
//   auto r = co_await zsock::when_any(read_request(s), wait_for_shutdown());
//   if (r.index() == 0) ...
//
// The first child to finish (with a value or an exception) wins. The losers are cancelled
// (their pending operations complete with operation_canceled) and when_any waits until they have
// really stopped before it resumes the awaiter, so nothing they reference can be used after
// when_any returns. Returns the winner's index and value as a std::variant (std::monostate for
// task<void>), or rethrows the winner's exception.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include <zsock/when_all.hpp>

namespace zsock {

namespace detail {

template <class V, std::size_t I, class T>
struct variant_sink {
    std::optional<V> *out;
    fork_base *fork;
    std::exception_ptr *error;
    template <class... U>
    void set_value(U &&...v) {
        if (fork->child_finished(I, false)) out->emplace(std::in_place_index<I>, std::forward<U>(v)...);
    }
    void set_error(std::exception_ptr e) noexcept {
        if (fork->child_finished(I, true)) *error = std::move(e);
    }
};

template <class... Ts, std::size_t... I>
task<std::variant<value_or_monostate<Ts>...>> when_any_impl(std::index_sequence<I...>, task<Ts>... ts) {
    using V = std::variant<value_or_monostate<Ts>...>;
    std::optional<V> out;
    std::exception_ptr error;
    array_fork<sizeof...(Ts)> fork(true);
    std::tuple<variant_sink<V, I, Ts>...> sinks{variant_sink<V, I, Ts>{&out, &fork, &error}...};
    ((fork.kids_storage_[I] = &drive(std::move(ts), &std::get<I>(sinks)).h.promise()), ...);
    co_await fork;
    if (error) std::rethrow_exception(error);
    co_return std::move(*out);
}

template <class T>
struct pair_sink {
    std::optional<value_or_monostate<T>> *out;
    fork_base *fork;
    std::exception_ptr *error;
    std::size_t index;
    template <class... U>
    void set_value(U &&...v) {
        if (fork->child_finished(index, false)) out->emplace(std::forward<U>(v)...);
    }
    void set_error(std::exception_ptr e) noexcept {
        if (fork->child_finished(index, true)) *error = std::move(e);
    }
};

} // namespace detail

/// Awaits the first task to finish; the others are cancelled and awaited.
template <class... Ts>
task<std::variant<detail::value_or_monostate<Ts>...>> when_any(task<Ts>... ts) {
    static_assert(sizeof...(Ts) > 0, "when_any needs at least one task");
    return detail::when_any_impl(std::index_sequence_for<Ts...>{}, std::move(ts)...);
}

/// Awaits the first task of the vector to finish: {its index, its value}. The vector must not be
/// empty (std::invalid_argument).
template <class T>
task<std::pair<std::size_t, detail::value_or_monostate<T>>> when_any(std::vector<task<T>> ts) {
    if (ts.empty()) throw std::invalid_argument("zsock::when_any of no task");
    const std::size_t n = ts.size();
    std::optional<detail::value_or_monostate<T>> out;
    std::vector<detail::root_task::promise_type *> kids(n);
    std::exception_ptr error;
    detail::vector_fork fork(kids, true);
    std::vector<detail::pair_sink<T>> sinks;
    sinks.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        sinks.push_back(detail::pair_sink<T>{&out, &fork, &error, i});
        kids[i] = &detail::drive(std::move(ts[i]), &sinks[i]).h.promise();
    }
    co_await fork;
    if (error) std::rethrow_exception(error);
    co_return std::pair<std::size_t, detail::value_or_monostate<T>>(fork.winner(), std::move(*out));
}

} // namespace zsock
