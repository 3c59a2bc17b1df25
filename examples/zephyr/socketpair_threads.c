/*
 * socketpair() with threads, in Zephyr application style (Zephyr's socketpair sample) with the
 * POSIX names and POSIX threads (CONFIG_POSIX_API). Each writer thread owns one pair and writes
 * numbered messages into it, then closes its end; the main thread polls every read end for
 * POLLIN and POLLHUP and checks that each writer's messages arrive complete and in order.
 * Exits 0 when they all did.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>

#define NUM_WRITERS 3
#define MESSAGES 200
#define MSG_LEN 32

struct writer {
    pthread_t thread;
    int fd;
    int id;
};

static void *writer_main(void *arg) {
    struct writer *w = arg;
    for (int n = 0; n < MESSAGES; n++) {
        char msg[MSG_LEN + 1];
        snprintf(msg, sizeof(msg), "writer %d message %05d .........", w->id, n);
        size_t off = 0;
        while (off < MSG_LEN) { /* a stream may take part of it */
            ssize_t r = send(w->fd, msg + off, MSG_LEN - off, MSG_NOSIGNAL);
            if (r < 0) {
                printk("writer %d: send: %d\n", w->id, errno);
                return NULL;
            }
            off += (size_t)r;
        }
        if (n % 50 == 0) k_msleep(1); /* let the reader interleave */
    }
    close(w->fd);
    return NULL;
}

int main(void) {
    struct writer writers[NUM_WRITERS];
    struct pollfd fds[NUM_WRITERS];
    char got[NUM_WRITERS][MSG_LEN];
    size_t have[NUM_WRITERS] = {0};
    int next[NUM_WRITERS] = {0}, open_ends = NUM_WRITERS, bad = 0;

    for (int i = 0; i < NUM_WRITERS; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
            printk("error: socketpair: %d\n", errno);
            return 1;
        }
        fds[i].fd = sv[0];
        fds[i].events = POLLIN;
        writers[i].fd = sv[1];
        writers[i].id = i;
    }
    for (int i = 0; i < NUM_WRITERS; i++)
        pthread_create(&writers[i].thread, NULL, writer_main, &writers[i]);

    while (open_ends > 0) {
        if (poll(fds, NUM_WRITERS, 10000) <= 0) {
            printk("error: poll timed out or failed: %d\n", errno);
            return 1;
        }
        for (int i = 0; i < NUM_WRITERS; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            ssize_t r = recv(fds[i].fd, got[i] + have[i], MSG_LEN - have[i], 0);
            if (r == 0) { /* POLLHUP and drained: the writer is done */
                close(fds[i].fd);
                fds[i].fd = -1;
                open_ends--;
                continue;
            }
            if (r < 0) {
                printk("error: recv: %d\n", errno);
                return 1;
            }
            have[i] += (size_t)r;
            if (have[i] < MSG_LEN) continue;
            char want[MSG_LEN + 1];
            snprintf(want, sizeof(want), "writer %d message %05d .........", i, next[i]);
            if (memcmp(want, got[i], MSG_LEN) != 0) bad++;
            next[i]++;
            have[i] = 0;
        }
    }
    for (int i = 0; i < NUM_WRITERS; i++) {
        pthread_join(writers[i].thread, NULL);
        if (next[i] != MESSAGES || have[i] != 0) bad++;
    }
    printk("socketpair: %d writers, %d messages each: %s\n", NUM_WRITERS, MESSAGES,
           bad ? "MISMATCH" : "all received in order");
    return bad ? 1 : 0;
}
