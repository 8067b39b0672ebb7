import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type Body, unwrap } from '../../../api/client';

export const webhooksQuery = (envId: string) =>
  queryOptions({ queryKey: ['webhooks', envId] as const, queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/webhooks', { params: { path: { envId } } })).then((r) => r.items) });

export const webhookQuery = (envId: string, webhookId: string) =>
  queryOptions({ queryKey: ['webhooks', envId, webhookId] as const, queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/webhooks/{webhookId}', { params: { path: { envId, webhookId } } })) });

export const deliveriesQuery = (envId: string, webhookId: string, status?: 'failed') =>
  queryOptions({
    queryKey: ['webhooks', envId, webhookId, 'deliveries', status ?? 'all'] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/webhooks/{webhookId}/deliveries', { params: { path: { envId, webhookId }, query: { limit: 100, ...(status ? { status } : {}) } } })),
    // Deliveries move on their own (retries): keep the list current while it is open.
    refetchInterval: 3000,
  });

export function useCreateWebhook(envId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Body<'createWebhook'>) => unwrap(api.POST('/admin/v1/environments/{envId}/webhooks', { params: { path: { envId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['webhooks', envId] }),
  });
}

export function useWebhookActions(envId: string, webhookId: string) {
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: ['webhooks', envId] });
  return {
    update: useMutation({
      mutationFn: (body: Body<'updateWebhook'>) => unwrap(api.PATCH('/admin/v1/environments/{envId}/webhooks/{webhookId}', { params: { path: { envId, webhookId } }, body })),
      onSettled: refresh,
    }),
    rotate: useMutation({
      mutationFn: () => unwrap(api.POST('/admin/v1/environments/{envId}/webhooks/{webhookId}/secret', { params: { path: { envId, webhookId } } })),
      onSettled: refresh,
    }),
    remove: useMutation({
      mutationFn: () => unwrap(api.DELETE('/admin/v1/environments/{envId}/webhooks/{webhookId}', { params: { path: { envId, webhookId } } })),
      onSettled: refresh,
    }),
    redeliver: useMutation({
      mutationFn: (deliveryId: string) =>
        unwrap(api.POST('/admin/v1/environments/{envId}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver', { params: { path: { envId, webhookId, deliveryId } } })),
      onSettled: refresh,
    }),
  };
}
