from django.urls import path

from . import aws

# boto3 posts to the endpoint's path plus "/"; the AWS CLI may post without it.
urlpatterns = [
    path("aws-support/", aws.endpoint, name="compat-aws-support"),
    path("aws-support", aws.endpoint),
]
