import { Button, Group, Modal, Select, Stack, Switch, TagsInput, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import { ApiError } from '../../../api/client';
import { ErrorAlert } from '../../../components/error-alert';
import { parseDraft, toDraft, ValueEditor, type ValueType } from '../../../components/value-editor';
import { useCreateFlag } from '../api/create-flag';

/** A new flag: a name, its value type and first value, tags; 422s land next to their fields. */
export function CreateFlagDialog({ projectId, opened, onClose, onCreated }: { projectId: string; opened: boolean; onClose: () => void; onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [valueType, setValueType] = useState<ValueType>('boolean');
  const [draft, setDraft] = useState(toDraft('boolean', null));
  const [enabled, setEnabled] = useState(false);
  const [tags, setTags] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const [valueError, setValueError] = useState<string>();
  const create = useCreateFlag(projectId);
  const fields = create.error instanceof ApiError ? create.error.fieldErrors() : {};

  const submit = () => {
    // A boolean flag is its on/off state: it carries no value of its own.
    const parsed = valueType === 'boolean' ? ({ ok: true, value: null } as const) : parseDraft(valueType, draft);
    if (!parsed.ok) return setValueError(parsed.message);
    setValueError(undefined);
    create.mutate(
      { name: name.trim(), valueType: valueType === 'boolean' ? undefined : valueType, initialValue: parsed.value as never, defaultEnabled: enabled, tags, description, type: 'STANDARD', options: [], owner: null },
      {
        onSuccess: (feature) => {
          onCreated(feature.name);
          setName('');
          setTags([]);
          setDescription('');
        },
      },
    );
  };

  return (
    <Modal opened={opened} onClose={onClose} title="Create a flag" size="lg">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <Stack>
          <TextInput label="Name" description="Letters, digits, _ . : - (used in code)" value={name} onChange={(event) => setName(event.currentTarget.value)} error={fields.name} required data-autofocus />
          <Select
            label="Value type"
            data={[
              { value: 'boolean', label: 'On / off only' },
              { value: 'string', label: 'Text' },
              { value: 'number', label: 'Number' },
              { value: 'json', label: 'JSON' },
            ]}
            value={valueType}
            onChange={(next) => {
              const type = (next ?? 'boolean') as ValueType;
              setValueType(type);
              setDraft(toDraft(type, null));
            }}
            allowDeselect={false}
          />
          {valueType !== 'boolean' && <ValueEditor valueType={valueType} draft={draft} onChange={setDraft} error={valueError ?? fields.initialValue} label="Initial value" />}
          <Switch label="On by default in every environment" checked={enabled} onChange={(event) => setEnabled(event.currentTarget.checked)} />
          <TagsInput label="Tags" value={tags} onChange={setTags} error={fields.tags} />
          <Textarea label="Description" value={description} onChange={(event) => setDescription(event.currentTarget.value)} error={fields.description} autosize minRows={2} />
          {create.error && !Object.keys(fields).length && <ErrorAlert error={create.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create flag
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
