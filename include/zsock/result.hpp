// zsock/result.hpp - result<T>: a value or a std::error_code (std::expected is C++23).
//
// Every I/O operation of the C++ API completes with a result; nothing throws for I/O errors.
// value() on an error throws std::system_error, so code that prefers exceptions can use it.
// io_result is what a transfer that may stop half-way reports: how many bytes moved, and why
// it stopped (recv_exact, send_all).
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <system_error>
#include <type_traits>
#include <utility>

#include <zsock/error.hpp>

namespace zsock {

template <class T>
class result {
    static_assert(!std::is_reference_v<T>, "result<T&> is not supported");

public:
    using value_type = T;

    result(const T &v) : has_(true) { ::new (static_cast<void *>(&val_)) T(v); }
    result(T &&v) noexcept(std::is_nothrow_move_constructible_v<T>) : has_(true) {
        ::new (static_cast<void *>(&val_)) T(std::move(v));
    }
    result(std::error_code ec) noexcept : ec_(ec), has_(false) {}
    result(std::errc e) noexcept : result(std::make_error_code(e)) {}
    result(errc e) noexcept : result(make_error_code(e)) {}

    result(const result &o) : ec_(o.ec_), has_(o.has_) {
        if (has_) ::new (static_cast<void *>(&val_)) T(o.val_);
    }
    result(result &&o) noexcept(std::is_nothrow_move_constructible_v<T>) : ec_(o.ec_), has_(o.has_) {
        if (has_) ::new (static_cast<void *>(&val_)) T(std::move(o.val_));
    }
    result &operator=(const result &o) {
        if (this != &o) {
            reset();
            ec_ = o.ec_;
            if (o.has_) ::new (static_cast<void *>(&val_)) T(o.val_);
            has_ = o.has_;
        }
        return *this;
    }
    result &operator=(result &&o) noexcept(std::is_nothrow_move_constructible_v<T>) {
        if (this != &o) {
            reset();
            ec_ = o.ec_;
            if (o.has_) ::new (static_cast<void *>(&val_)) T(std::move(o.val_));
            has_ = o.has_;
        }
        return *this;
    }
    ~result() { reset(); }

    bool has_value() const noexcept { return has_; }
    explicit operator bool() const noexcept { return has_; }

    /// The error; an empty error_code when the result holds a value.
    std::error_code error() const noexcept { return ec_; }

    T &value() & {
        check();
        return val_;
    }
    const T &value() const & {
        check();
        return val_;
    }
    T &&value() && {
        check();
        return std::move(val_);
    }
    T &operator*() & noexcept { return val_; }
    const T &operator*() const & noexcept { return val_; }
    T &&operator*() && noexcept { return std::move(val_); }
    T *operator->() noexcept { return std::addressof(val_); }
    const T *operator->() const noexcept { return std::addressof(val_); }

    template <class U>
    T value_or(U &&fallback) const & {
        return has_ ? val_ : static_cast<T>(std::forward<U>(fallback));
    }
    template <class U>
    T value_or(U &&fallback) && {
        return has_ ? std::move(val_) : static_cast<T>(std::forward<U>(fallback));
    }

private:
    void check() const {
        if (!has_) throw std::system_error(ec_);
    }
    void reset() noexcept {
        if (has_) val_.~T();
        has_ = false;
    }

    union {
        T val_;
    };
    std::error_code ec_;
    bool has_;
};

template <>
class result<void> {
public:
    using value_type = void;
    result() noexcept = default;
    result(std::error_code ec) noexcept : ec_(ec) {}
    result(std::errc e) noexcept : ec_(std::make_error_code(e)) {}
    result(errc e) noexcept : ec_(make_error_code(e)) {}

    bool has_value() const noexcept { return !ec_; }
    explicit operator bool() const noexcept { return !ec_; }
    std::error_code error() const noexcept { return ec_; }
    void value() const {
        if (ec_) throw std::system_error(ec_);
    }

private:
    std::error_code ec_;
};

/// What a transfer that loops until done reports: the bytes it moved, and the error that
/// stopped it early (empty when it finished). recv_exact() stopping at end of stream reports
/// zsock::errc::eof.
struct io_result {
    std::size_t bytes = 0;
    std::error_code error;

    bool ok() const noexcept { return !error; }
    explicit operator bool() const noexcept { return !error; }
};

} // namespace zsock
