/*
 * kube.h - the little of the Kubernetes API argofs needs: the namespaces
 * the token can see, and the webhook clients of a namespace.
 *
 * Argo reads the webhook clients of a namespace from the Secret
 * `argo-workflows-webhook-clients`: each data key is a service account, each
 * value the YAML "type: github|gitlab|bitbucket|bitbucketserver\nsecret: ...".
 * The Argo Server does not serve that Secret, so argofs asks the Kubernetes
 * API for it. One key is changed with a JSON merge patch of that key alone,
 * so that a concurrent change of another key is never lost.
 *
 * Knows nothing of FUSE. Failures that reach the user are recorded in
 * errlog; secret values never are. Returned memory belongs to the caller.
 * Thread-safe.
 */
#ifndef ARGOFS_KUBE_H
#define ARGOFS_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include "argofs/model.h"

struct http_client;
struct kube;

#define KUBE_WEBHOOK_SECRET "argo-workflows-webhook-clients"

/* Returns 0 and a client of @http (borrowed), or -ENOMEM. */
int kube_new(struct http_client *http, double cache_ttl, struct kube **ret_kube);
void kube_free(struct kube *k);
void kube_drop_caches(struct kube *k);

/* The namespaces the token may list (NULL-terminated, free with
 * model_strv_free). A refusal (403) is an empty list, not an error. */
int kube_namespaces(struct kube *k, char ***ret_names);

/* The service accounts of the namespace's webhook clients, as entries named
 * "SA.yaml" (mode and size of the decoded value). No Secret: empty. */
int kube_webhooks_list(struct kube *k, const char *ns, struct model_entry **ret_entries,
		       size_t *ret_n);

/* One client's entry, decoded. Returns 0, -ENOENT or a negative errno. */
int kube_webhook_read(struct kube *k, const char *ns, const char *sa, char **ret_text,
		      size_t *ret_len, struct model_entry *ret_entry);

/*
 * Set @sa's entry to @text after checking it: a YAML mapping with `type`
 * one of github, gitlab, bitbucket, bitbucketserver and `secret` a string,
 * nothing else. Creates the Secret when there is none. Returns 0, -EINVAL
 * (refused, nothing sent) or the errno of the request.
 */
int kube_webhook_write(struct kube *k, const char *ns, const char *sa, const char *text,
		       size_t len, const char *op_path);

/* Remove @sa's entry. Returns 0, -ENOENT or the errno of the request. */
int kube_webhook_delete(struct kube *k, const char *ns, const char *sa, const char *op_path);

#endif
