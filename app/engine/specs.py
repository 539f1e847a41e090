"""Parser and task spec for Camunda external service tasks (camunda:topic) and the parser."""

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, ServiceTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEndEventParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser


class TopicServiceTask(ServiceTask):
    """A system step: the product's handler registered for `topic` runs inside the engine."""

    def __init__(self, wf_spec, bpmn_id, topic=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic

    def _execute(self, task):
        properties = dict(getattr(self, "extensions", None) or {})
        result = task.workflow.script_engine.call_service(
            task, topic=self.topic, properties=properties
        )
        if isinstance(result, dict):
            task.data.update(result)
        return True


class TopicServiceTaskParser(CamundaTaskParser):
    def create_task(self):
        topic = self.attribute("topic", "camunda") or self.node.get("id")
        return self.spec_class(self.spec, self.bpmn_id, topic=topic, **self.bpmn_attributes)


class TopicServiceTaskConverter(BpmnTaskSpecConverter):
    def to_dict(self, spec):
        dct = self.get_default_attributes(spec)
        dct["topic"] = spec.topic
        return dct


class PropertyEndEventParser(CamundaEndEventParser):
    """End events keep their camunda:properties (a "status" says how the application ended)."""

    def parse_extensions(self, node=None):
        return CamundaTaskParser.parse_extensions(self, node)


class ProductParser(CamundaParser):
    """Camunda-flavoured parser that also understands external service tasks."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (TopicServiceTaskParser, TopicServiceTask),
        full_tag("endEvent"): (PropertyEndEventParser, EndEvent),
    }

    def __init__(self):
        super().__init__(validator=BpmnValidator())
