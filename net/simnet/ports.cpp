// net/simnet/ports.cpp - the port table: bind conflicts, ephemeral ports, lookups.
//
// The rules are Linux's, simplified: TCP and UDP ports are separate, IPv4 and IPv6 are separate
// (sim sockets are IPv6-only), two sockets conflict when their addresses overlap (equal, or one
// is the wildcard) on the same port, unless both set SO_REUSEPORT, or both set SO_REUSEADDR and
// (for TCP) neither is listening. Accepted connections hold their listener's port, as in Linux.
#include <cerrno>

#include "net/simnet/sim.hpp"

namespace zsock::simnet {
namespace {

bool overlaps(const endpoint &a, const endpoint &b) {
    return a.is_any() || b.is_any() || a.same_addr(b);
}

bool conflict(const sim_socket &s, const endpoint &ep, const sim_socket &o) {
    if (&o == &s || o.type != s.type || o.family != ep.family || o.local.port != ep.port)
        return false;
    if (!overlaps(ep, o.local)) return false;
    if (s.reuseport && o.reuseport) return false;
    if (s.reuseaddr && o.reuseaddr &&
        (!s.is_stream() || (o.st != stream_state::listening && s.st != stream_state::listening)))
        return false;
    return true;
}

bool port_free(const sim_socket &s, const endpoint &ep) {
    for (const sim_socket *o : net().bound)
        if (conflict(s, ep, *o)) return false;
    return true;
}

} // namespace

int port_bind(sim_socket &s, endpoint ep, bool automatic) noexcept {
    if (!is_local(ep)) return -EADDRNOTAVAIL;
    network &n = net();
    if (ep.port == 0) {
        // Linux's default ip_local_port_range.
        constexpr int lo = 32768, hi = 60999, span = hi - lo + 1;
        bool found = false;
        for (int i = 0; i < span && !found; ++i) {
            int p = lo + (n.next_ephemeral - lo + i) % span;
            ep.port = static_cast<uint16_t>(p);
            // An ephemeral port is one nobody holds at all, whatever their options.
            found = true;
            for (const sim_socket *o : n.bound)
                if (o->type == s.type && o->family == ep.family && o->local.port == ep.port)
                    found = false;
            if (found) n.next_ephemeral = static_cast<uint16_t>(p + 1 > hi ? lo : p + 1);
        }
        if (!found) return -EADDRINUSE;
    } else if (!port_free(s, ep)) {
        return -EADDRINUSE;
    }
    try {
        n.bound.push_back(&s);
    } catch (...) {
        return -ENOMEM;
    }
    s.local = ep;
    s.bound = true;
    s.auto_bound = automatic;
    return 0;
}

void port_unbind(sim_socket &s) noexcept {
    if (!s.bound) return;
    auto &v = net().bound;
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == &s) {
            v[i] = v.back();
            v.pop_back();
            break;
        }
    }
    s.bound = false;
}

bool port_listen_conflict(const sim_socket &s) noexcept {
    for (const sim_socket *o : net().bound) {
        if (o == &s || o->type != s.type || o->family != s.family || o->local.port != s.local.port)
            continue;
        if (o->st != stream_state::listening || !overlaps(s.local, o->local)) continue;
        if (!(s.reuseport && o->reuseport)) return true;
    }
    return false;
}

sim_socket *find_listener(int family, const endpoint &ep) noexcept {
    sim_socket *wild = nullptr;
    for (sim_socket *o : net().bound) {
        if (!o->is_stream() || o->st != stream_state::listening || o->family != family ||
            o->local.port != ep.port)
            continue;
        if (o->local.same_addr(ep)) return o;
        if (o->local.is_any() && !wild) wild = o;
    }
    return wild;
}

sim_socket *find_receiver(const endpoint &from, const endpoint &to) noexcept {
    sim_socket *best = nullptr;
    int best_score = -1;
    for (sim_socket *o : net().bound) {
        if (o->is_stream() || o->family != to.family || o->local.port != to.port) continue;
        if (!o->local.is_any() && !o->local.same_addr(to)) continue;
        if (o->has_peer && !(o->peer == from)) continue;
        // Most specific wins: a connected socket, then an exact address, then the wildcard.
        int score = (o->has_peer ? 2 : 0) + (o->local.is_any() ? 0 : 1);
        if (score > best_score) best = o, best_score = score;
    }
    return best;
}

} // namespace zsock::simnet
